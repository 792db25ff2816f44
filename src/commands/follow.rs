//! `aks-gw-logs follow`: connects, checks that the API server answers,
//! starts the pod discovery and the object watches on a tokio runtime, and
//! runs the consumer on this thread until Ctrl-C (exit 130, after a
//! commit), `--duration`, or a problem that leaves nothing to read.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Semaphore, mpsc};

use crate::ExitStatus;
use crate::cli::FollowArgs;
use crate::follow::discover::{self, PodScope};
use crate::follow::limits::Limiter;
use crate::follow::live::{Ending, Live, Printer, Settings};
use crate::follow::watch::{self, RESOURCES};
use crate::follow::{Message, Shared, client};
use crate::group::Grouper;
use crate::input::Engine;
use crate::output::Style;
use crate::pipeline::{DEFAULT_COMMIT_INTERVAL, Pipeline};
use crate::sanitize::for_terminal;
use crate::store::Store;

/// Runs `follow`.
pub fn run(
    args: &FollowArgs,
    engine: &Engine,
    store: Option<Store>,
    style: Style,
) -> anyhow::Result<ExitStatus> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Timers made on this thread (the consumer's waits) belong to it.
    let _context = runtime.enter();
    let limiter = Arc::new(Limiter::new(args.qps));
    let connected = runtime.block_on(client::connect(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
        limiter,
    ));
    let connection = match connected {
        Ok(c) => c,
        Err(line) => {
            eprintln!("aks-gw-logs: {}", for_terminal(&line));
            return Ok(ExitStatus::Error);
        }
    };
    let answer = runtime.block_on(tokio::time::timeout(
        Duration::from_secs(15),
        connection.client.apiserver_version(),
    ));
    let reached = match answer {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(client::first_line(&e)),
        Err(_) => Err("no answer within 15 s".to_string()),
    };
    if let Err(why) = reached {
        eprintln!(
            "aks-gw-logs: cannot reach the API server at {}: {}; check the kubeconfig's server address, your network or VPN, and `az aks get-credentials`",
            connection.server,
            for_terminal(&why)
        );
        return Ok(ExitStatus::Error);
    }

    let (tx, mut rx) = mpsc::channel::<Message>(16 * 1024);
    let since_seconds = args.since.num_seconds();
    let shared = Arc::new(Shared {
        client: connection.client.clone(),
        tx: tx.clone(),
        streams: Arc::new(Semaphore::new(args.max_streams.max(1))),
        current: std::sync::Mutex::new(HashMap::new()),
        since_seconds: (since_seconds > 0).then_some(since_seconds),
        lines: AtomicU64::new(0),
    });
    start(&runtime, &shared, args);
    let stop = tx.clone();
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(Message::Stop).await;
        }
    });
    drop(tx);

    let cluster = args.cluster.clone().unwrap_or(connection.cluster);
    let mut printer = Printer::default();
    let grouper = Grouper::new(&engine.set, args.quiet_window, Utc::now());
    let pipeline = Pipeline::new(&mut printer, grouper, store, DEFAULT_COMMIT_INTERVAL, false)
        .tracking_touched()
        .redacting(engine.redactor());
    let settings = Settings {
        cluster,
        json: args.json,
        tail: args.tail,
        style,
        update_interval: args.update_interval.to_std().unwrap_or(Duration::ZERO),
        since: Some(Utc::now() - args.since),
        duration: args.duration.and_then(|d| d.to_std().ok()),
    };
    let (ending, worst, store_failed) =
        Live::new(engine, pipeline, settings).run(&runtime, &mut rx, &shared);
    runtime.shutdown_timeout(Duration::from_millis(500));
    Ok(match ending {
        Ending::Interrupted => ExitStatus::Interrupted,
        Ending::Fatal(line) => {
            eprintln!("aks-gw-logs: {}", for_terminal(&line));
            ExitStatus::Error
        }
        Ending::Elapsed if store_failed => ExitStatus::Error,
        Ending::Elapsed => match args.fail_on.threshold() {
            Some(t) if worst.is_some_and(|w| w >= t) => ExitStatus::Found,
            _ => ExitStatus::Ok,
        },
    })
}

/// Starts the pod discovery and the watches for the namespaces in scope.
fn start(runtime: &tokio::runtime::Runtime, shared: &Arc<Shared>, args: &FollowArgs) {
    runtime.spawn(discover::pods(
        shared.clone(),
        PodScope {
            namespace: Some(args.istio_namespace.clone()),
            label_selector: "app=istiod".into(),
        },
    ));
    let gateway_selector = discover::gateway_selector(&args.gateways);
    // The namespaces whose objects are watched: every one, or the istio
    // namespace and those given.
    let scoped: Option<Vec<String>> = (!args.namespaces.is_empty()).then(|| {
        let mut list = args.namespaces.clone();
        if !list.contains(&args.istio_namespace) {
            list.push(args.istio_namespace.clone());
        }
        list
    });
    match &scoped {
        None => {
            runtime.spawn(discover::pods(
                shared.clone(),
                PodScope {
                    namespace: None,
                    label_selector: gateway_selector,
                },
            ));
        }
        Some(_) => {
            for ns in &args.namespaces {
                runtime.spawn(discover::pods(
                    shared.clone(),
                    PodScope {
                        namespace: Some(ns.clone()),
                        label_selector: gateway_selector.clone(),
                    },
                ));
            }
        }
    }
    for resource in RESOURCES {
        match (&scoped, resource.namespaced) {
            (Some(namespaces), true) => {
                for ns in namespaces {
                    runtime.spawn(watch::objects(shared.clone(), resource, Some(ns.clone())));
                }
            }
            _ => {
                runtime.spawn(watch::objects(shared.clone(), resource, None));
            }
        }
    }
}
