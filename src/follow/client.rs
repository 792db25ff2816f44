//! Connecting to the cluster: the user's kubeconfig (`--kubeconfig`, else
//! `KUBECONFIG` or `~/.kube/config`) and context (`--context`, else the
//! current one), or the in-cluster service account when there is no
//! kubeconfig at all. Each way this can fail is one line that says what to
//! do. The client's requests go through the `--qps` token bucket.

use std::path::Path;
use std::sync::Arc;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use super::limits::{Limiter, RateLimitLayer};

/// A client, and the name of the cluster it talks to (the context's).
pub struct Connection {
    pub client: Client,
    pub cluster: String,
    /// The API server's address, for messages.
    pub server: String,
}

/// Builds a client; the error is one line for the user.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    limiter: Arc<Limiter>,
) -> Result<Connection, String> {
    let file = match kubeconfig {
        Some(path) => Some(Kubeconfig::read_from(path).map_err(|e| {
            format!(
                "cannot use kubeconfig {}: {}; pass a readable kubeconfig with --kubeconfig FILE",
                path.display(),
                first_line(&e)
            )
        })?),
        None => match Kubeconfig::read() {
            Ok(k) => Some(k),
            Err(e) if context.is_some() || std::env::var_os("KUBECONFIG").is_some() => {
                return Err(format!(
                    "cannot read the kubeconfig (KUBECONFIG or ~/.kube/config): {}; run `az aks get-credentials -g <group> -n <cluster>` or pass --kubeconfig FILE",
                    first_line(&e)
                ));
            }
            Err(_) => None,
        },
    };
    let (config, cluster) = match file {
        Some(file) => {
            let contexts: Vec<String> = file.contexts.iter().map(|c| c.name.clone()).collect();
            let name = context
                .map(str::to_string)
                .or_else(|| file.current_context.clone());
            if let Some(name) = &name
                && !contexts.contains(name)
            {
                return Err(format!(
                    "context {name:?} is not in the kubeconfig (it has: {}); pass one of them with --context",
                    if contexts.is_empty() {
                        "none".to_string()
                    } else {
                        contexts.join(", ")
                    }
                ));
            }
            let options = KubeConfigOptions {
                context: name.clone(),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| {
                    format!(
                        "the kubeconfig's context {} is not usable: {}; fix it or pick another with --context",
                        name.as_deref().unwrap_or("(current)"),
                        first_line(&e)
                    )
                })?;
            (config, name.unwrap_or_else(|| "kubernetes".into()))
        }
        None => {
            let config = Config::incluster().map_err(|_| {
                "no kubeconfig (KUBECONFIG, ~/.kube/config) and not running in a cluster: run `az aks get-credentials -g <group> -n <cluster>` or pass --kubeconfig FILE".to_string()
            })?;
            (config, "in-cluster".to_string())
        }
    };
    let server = config.cluster_url.to_string();
    let builder = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| format!("cannot build a client for {server}: {}", first_line(&e)))?;
    let client = builder.with_layer(&RateLimitLayer(limiter)).build();
    Ok(Connection {
        client,
        cluster,
        server,
    })
}

/// The first line of an error's text.
pub fn first_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}
