//! Stub: timestamp parsing shared by the parsers.
