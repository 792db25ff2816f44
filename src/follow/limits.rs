//! Bounds on what `follow` asks of the API server: a token bucket of
//! requests per second (`--qps`) in front of every request the client
//! sends, as a tower layer, and the number of log streams open at once
//! (`--max-streams`, a semaphore: streams past it wait their turn).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A token bucket: `qps` tokens a second, bursts up to `burst`.
#[derive(Debug)]
pub struct Limiter {
    qps: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Limiter {
    /// A limiter of `qps` requests a second (at least 0.1), bursts of twice that.
    pub fn new(qps: f64) -> Limiter {
        let qps = qps.max(0.1);
        let burst = (qps * 2.0).max(1.0);
        Limiter {
            qps,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// How long to wait before the next request may go, taking its token.
    fn reserve(&self) -> Duration {
        let mut state = self.state.lock().expect("limiter lock");
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.qps).min(self.burst);
        *last = now;
        *tokens -= 1.0;
        if *tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-*tokens / self.qps)
        }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The tower layer that makes every request of a client wait for a token.
#[derive(Clone)]
pub struct RateLimitLayer(pub Arc<Limiter>);

impl<S> tower_layer::Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> RateLimited<S> {
        RateLimited {
            inner,
            limiter: self.0.clone(),
        }
    }
}

/// A service whose requests wait for a token before they are sent.
pub struct RateLimited<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

impl<S, R> tower_service::Service<R> for RateLimited<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // The token is taken now, in request order; the request goes once
        // its wait is over (the inner future does nothing until polled).
        let wait = self.limiter.reserve();
        let response = self.inner.call(request);
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            response.await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = Limiter::new(10.0);
        let waits: Vec<Duration> = (0..25).map(|_| limiter.reserve()).collect();
        assert!(
            waits[..20].iter().all(|w| w.is_zero()),
            "a burst of 2 x qps"
        );
        // The 21st waits about 1/10 s, the 25th about 5/10 s.
        assert!(waits[20] > Duration::from_millis(50) && waits[20] <= Duration::from_millis(110));
        assert!(waits[24] > Duration::from_millis(400) && waits[24] <= Duration::from_millis(510));
    }
}
