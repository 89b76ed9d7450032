//! The listener and the request pipeline: route, read the body within its
//! limits, validate, forward, then log and count. The configuration in use is
//! swapped whole on reload; a request keeps the one it started with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use palisade_validate::Detail;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::deadline::{Entry, Watched, Writes};
use crate::error::Error;
use crate::log::AccessLogger;
use crate::metrics::{Metrics, RouteMetrics};
use crate::pipeline::handle;
use crate::route::Router;
use crate::upstream::Client;

/// Something the gateway wants an operator to know (reloads, failures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub level: Level,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// Where `${VAR}` in the configuration is looked up.
pub type Variables = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How the gateway runs, beyond its configuration file.
#[derive(Clone)]
pub struct ServeOptions {
    /// How often the configuration and model files are checked for
    /// changes (`None`: only an explicit reload, e.g. SIGHUP).
    pub watch_interval: Option<Duration>,
    /// Worker threads (default: one per core).
    pub workers: Option<usize>,
    pub events: EventSink,
    /// The environment, unless a test or an embedder supplies its own.
    pub variables: Variables,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("watch_interval", &self.watch_interval)
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            watch_interval: Some(Duration::from_secs(1)),
            workers: None,
            events: Arc::new(|_| {}),
            variables: Arc::new(|name| std::env::var(name).ok()),
        }
    }
}

/// A configuration ready to serve.
pub(crate) struct Runtime {
    pub(crate) config: Config,
    pub(crate) router: Router,
    pub(crate) route_metrics: Vec<Arc<RouteMetrics>>,
    pub(crate) unmatched: Arc<RouteMetrics>,
    builder: auto::Builder<TokioExecutor>,
    /// Whether rejections list each violation (some response shows them).
    pub(crate) detail: Detail,
}

impl Runtime {
    fn new(config: Config, metrics: &Metrics) -> Runtime {
        let detail = if config.responses.shows_violations() {
            Detail::Full
        } else {
            Detail::Verdict
        };
        let pairs: Vec<_> = config
            .routes
            .iter()
            .map(|r| (r.method.clone(), &r.path))
            .collect();
        let router = Router::new(&pairs);
        metrics.set_waf(config.waf.as_ref().map(|w| w.stats.clone()));
        let route_metrics = config
            .routes
            .iter()
            .map(|r| metrics.route(&r.name))
            .collect();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The header read timeout is the connection's own deadline (see
        // `accept`), not hyper's: that one armed a tokio timer per request.
        builder
            .http1()
            .header_read_timeout(None)
            .writev(false)
            .max_buf_size(config.limits.max_header_bytes);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(
                u32::try_from(config.limits.max_header_bytes).unwrap_or(u32::MAX),
            );
        Runtime {
            config,
            router,
            route_metrics,
            unmatched: metrics.route("(no route)"),
            builder,
            detail,
        }
    }
}

pub(crate) struct Shared {
    current: RwLock<Arc<Runtime>>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) log: AccessLogger,
    /// AWS WAF log records, when `waf.log` names a place.
    pub(crate) waf_log: AccessLogger,
    shutting_down: AtomicBool,
    /// Bumped by each reload, after the swap.
    generation: AtomicU64,
    events: EventSink,
    variables: Variables,
    file: PathBuf,
}

impl Shared {
    fn runtime(&self) -> Arc<Runtime> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The configuration in use, from a per-thread copy refreshed only when
    /// a reload bumped the generation: the request path takes no lock.
    pub(crate) fn current(&self) -> Arc<Runtime> {
        std::thread_local! {
            static CACHED: std::cell::RefCell<Option<(usize, u64, Arc<Runtime>)>> =
                const { std::cell::RefCell::new(None) };
        }
        let owner = std::ptr::from_ref(self) as usize;
        let generation = self.generation.load(Ordering::Acquire);
        CACHED.with(|cell| {
            let mut cached = cell.borrow_mut();
            match &*cached {
                Some((o, g, runtime)) if *o == owner && *g == generation => runtime.clone(),
                _ => {
                    let runtime = self.runtime();
                    *cached = Some((owner, generation, runtime.clone()));
                    runtime
                }
            }
        })
    }

    pub(crate) fn event(&self, level: Level, message: String) {
        (self.events)(Event { level, message });
    }

    /// Loads the file again; the running configuration stays on failure.
    fn reload(&self) -> Result<(), Error> {
        let mut config = match Config::load(&self.file, &*self.variables) {
            Ok(c) => c,
            Err(e) => {
                self.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
                self.event(
                    Level::Error,
                    format!("reload failed, still serving the previous configuration: {e}"),
                );
                return Err(e);
            }
        };
        let old = self.runtime();
        if config.listen != old.config.listen || config.admin != old.config.admin {
            self.event(
                Level::Warn,
                "listen and admin addresses change only on restart".to_string(),
            );
        }
        if config.access_log != old.config.access_log {
            self.event(
                Level::Warn,
                "access_log changes only on restart".to_string(),
            );
        }
        if waf_log_target(&config) != waf_log_target(&old.config) {
            self.event(Level::Warn, "waf.log changes only on restart".to_string());
        }
        for warning in &config.warnings {
            self.event(Level::Warn, warning.clone());
        }
        // In-memory rate counters of unchanged rate-based rules carry over,
        // so a reload is not a way around a limit.
        if let (Some(new), Some(previous)) = (&mut config.waf, &old.config.waf) {
            new.evaluator.keep_counters_of(&previous.evaluator);
        }
        let routes = config.routes.len();
        let runtime = Arc::new(Runtime::new(config, &self.metrics));
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = runtime;
        self.generation.fetch_add(1, Ordering::Release);
        self.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
        self.event(
            Level::Info,
            format!("configuration reloaded: {routes} routes"),
        );
        Ok(())
    }
}

/// A running gateway.
pub struct Running {
    pub address: SocketAddr,
    pub admin: Option<SocketAddr>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("address", &self.address)
            .field("admin", &self.admin)
            .finish()
    }
}

impl Running {
    /// Re-reads the configuration (what SIGHUP does).
    pub fn reload(&self) -> Result<(), Error> {
        self.shared.reload()
    }

    /// Stops accepting, lets in-flight requests finish (up to the
    /// configured grace period) and returns when they have.
    pub async fn shutdown(self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        let _ = self.shutdown.send(true);
        let _ = self.done.await;
    }
}

fn waf_log_target(config: &Config) -> crate::config::AccessLog {
    config
        .waf
        .as_ref()
        .map_or(crate::config::AccessLog::Off, |w| w.log.clone())
}

/// Loads `file` and starts serving it: one single-threaded runtime per
/// worker, each accepting on its own `SO_REUSEPORT` listener, so a request
/// is handled start to finish on one thread (no work stealing, no
/// cross-thread wake-ups); the caller's runtime keeps the admin listener and
/// the file watcher.
pub async fn start(file: &Path, options: ServeOptions) -> Result<Running, Error> {
    let config = Config::load(file, &*options.variables)?;
    let workers = options
        .workers
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
        .max(1);
    let metrics = Arc::new(Metrics::new(workers));
    let log = AccessLogger::open(&config.access_log, metrics.clone())?;
    let waf_log = AccessLogger::open(&waf_log_target(&config), metrics.clone())?;
    let warnings = config.warnings.clone();
    let mut listeners = Vec::with_capacity(workers);
    let mut address = config.listen;
    refuse_taken(address)?;
    for _ in 0..workers {
        let listener = bind_shared(address)?;
        address = listener
            .local_addr()
            .map_err(|source| Error::Listen { address, source })?;
        listeners.push(listener);
    }
    let admin_listener = match config.admin {
        Some(a) => Some(
            TcpListener::bind(a)
                .await
                .map_err(|source| Error::Listen { address: a, source })?,
        ),
        None => None,
    };
    let admin = admin_listener.as_ref().and_then(|l| l.local_addr().ok());
    let shared = Arc::new(Shared {
        current: RwLock::new(Arc::new(Runtime::new(config, &metrics))),
        metrics,
        log,
        waf_log,
        shutting_down: AtomicBool::new(false),
        generation: AtomicU64::new(0),
        events: options.events.clone(),
        variables: options.variables.clone(),
        file: file.to_path_buf(),
    });
    let (shutdown, stop) = watch::channel(false);
    let mut threads = Vec::with_capacity(listeners.len());
    for (i, listener) in listeners.into_iter().enumerate() {
        let (shared, stop) = (shared.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("palisade-worker-{i}"))
            .spawn(move || worker(i, listener, &shared, stop))
            .map_err(|source| Error::Listen { address, source })?;
        threads.push(thread);
    }
    // The admin listener outlives the drain, so /readyz can say 503 during it.
    let (drained, admin_stop) = watch::channel(false);
    if let Some(listener) = admin_listener {
        tokio::spawn(crate::admin::serve(
            listener,
            shared_admin(&shared),
            admin_stop,
        ));
    }
    if let Some(every) = options.watch_interval {
        tokio::spawn(watch_files(shared.clone(), every, stop));
    }
    for warning in warnings {
        shared.event(Level::Warn, warning);
    }
    shared.event(
        Level::Info,
        format!("listening on http://{address} ({workers} workers)"),
    );
    let logs = (shared.log.clone(), shared.waf_log.clone());
    let done = tokio::spawn(async move {
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
            logs.0.flush();
            logs.1.flush();
        })
        .await;
        let _ = drained.send(true);
    });
    Ok(Running {
        address,
        admin,
        shared,
        shutdown,
        done,
    })
}

/// `SO_REUSEPORT` would let a second gateway share a port that another
/// one (of the same user) holds, splitting traffic between them: a plain
/// bind first makes a taken port an error, as it is for any server.
fn refuse_taken(address: SocketAddr) -> Result<(), Error> {
    if address.port() == 0 {
        return Ok(());
    }
    let fail = |source| Error::Listen { address, source };
    let probe = socket_for(address).map_err(fail)?;
    probe.set_reuseaddr(true).map_err(fail)?;
    probe.bind(address).map_err(fail)
}

fn socket_for(address: SocketAddr) -> std::io::Result<tokio::net::TcpSocket> {
    if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
}

/// A listening socket that other workers can bind too (`SO_REUSEPORT`: the
/// kernel spreads connections across them).
fn bind_shared(address: SocketAddr) -> Result<std::net::TcpListener, Error> {
    let fail = |source| Error::Listen { address, source };
    let socket = socket_for(address).map_err(fail)?;
    socket.set_reuseaddr(true).map_err(fail)?;
    socket.set_reuseport(true).map_err(fail)?;
    socket.set_nodelay(true).map_err(fail)?;
    socket.bind(address).map_err(fail)?;
    let listener = socket.listen(1024).map_err(fail)?;
    listener.into_std().map_err(fail)
}

/// One worker thread: its own runtime, listener and upstream pool.
fn worker(
    index: usize,
    listener: std::net::TcpListener,
    shared: &Arc<Shared>,
    stop: watch::Receiver<bool>,
) {
    crate::metrics::set_shard(index);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            shared.event(Level::Error, format!("a worker could not start: {e}"));
            return;
        }
    };
    runtime.block_on(async {
        let listener = match TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                shared.event(Level::Error, format!("a worker could not listen: {e}"));
                return;
            }
        };
        let client = Client::new(1024, Duration::from_secs(60), Duration::from_secs(10));
        tokio::spawn(crate::deadline::sweeper());
        accept(listener, shared.clone(), client, stop).await;
    });
}

fn shared_admin(shared: &Arc<Shared>) -> crate::admin::State {
    let ready = shared.clone();
    crate::admin::State {
        metrics: shared.metrics.clone(),
        ready: Arc::new(move || !ready.shutting_down.load(Ordering::SeqCst)),
    }
}

async fn accept(
    listener: TcpListener,
    shared: Arc<Shared>,
    client: Client,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of descriptors, usually: back off, do not spin.
                        shared.event(Level::Warn, format!("accept failed: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let runtime = shared.current();
                let for_service = shared.clone();
                let client = client.clone();
                let peer = crate::proxy::Peer::new(peer);
                // Until a request head is in, and again while the
                // connection waits for the next one: slowloris protection.
                let idle = Entry::after(runtime.config.limits.header_read_timeout);
                let for_requests = idle.clone();
                let tail = peer.tail.clone();
                let service = service_fn(move |request| {
                    handle(request, for_service.clone(), client.clone(), peer.clone(), for_requests.clone())
                });
                let writes = Arc::new(Writes::default());
                let connection = runtime
                    .builder
                    .serve_connection(TokioIo::new(Watched::new(stream, writes.clone(), tail)), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                let limit = runtime.config.limits.header_read_timeout;
                tokio::spawn(async move {
                    let Some(idle) = idle else {
                        let _ = connection.await;
                        return;
                    };
                    tokio::pin!(connection);
                    let mut seen = writes.done();
                    loop {
                        tokio::select! {
                            biased;
                            _ = &mut connection => return,
                            () = idle.fired() => {
                                // A client still taking the last response
                                // gets more time, as long as it takes some.
                                if !writes.sending_since(seen) {
                                    return;
                                }
                                seen = writes.done();
                                idle.arm(limit);
                            }
                        }
                    }
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let grace = shared.runtime().config.limits.shutdown_grace;
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            shared.event(Level::Warn, format!("shutdown: requests still running after {grace:?} were cut off"));
        }
    }
}

/// Reloads when the configuration, a model or the OpenAPI file changes.
async fn watch_files(shared: Arc<Shared>, every: Duration, mut stop: watch::Receiver<bool>) {
    let stamp = |files: &[PathBuf]| -> Vec<Option<(SystemTime, u64)>> {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())))
            })
            .collect()
    };
    let mut watched = shared.runtime().config.watched.clone();
    let mut last = stamp(&watched);
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let now = stamp(&watched);
        if now == last {
            continue;
        }
        last = now;
        if shared.reload().is_ok() {
            watched = shared.runtime().config.watched.clone();
            last = stamp(&watched);
        }
    }
}
