//! aks-gw-logs: named failures from Istio Gateway API ingress evidence on AKS.

pub mod parse;
pub mod record;
pub mod signature;
