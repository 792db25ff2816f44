//! Stub: replaced by the Kubernetes parsers.
