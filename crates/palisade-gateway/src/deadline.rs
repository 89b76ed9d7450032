//! Coarse deadlines, kept per worker thread.
//!
//! Every request used to arm up to three tokio timers (hyper's header read
//! timeout, the body read timeout, the upstream timeout). Each cost a clock
//! read, a timer wheel insertion and removal under the driver's lock, a
//! future moved into a `Timeout`, and now and then a write to the runtime's
//! eventfd to wake its own driver: a tenth of the instructions of a proxied
//! request. The limits they enforce are seconds long and need no
//! millisecond precision, so each worker instead keeps a plain list of
//! deadlines in whole ticks, swept every [`TICK`] by one task ([`sweeper`]).
//! Arming one is a clock read, an allocation at most and two atomic stores;
//! a deadline fires up to two ticks late, never early.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::sniff::Tail;

/// How often the sweeper looks at the deadlines: their resolution.
pub(crate) const TICK: Duration = Duration::from_millis(50);

const NEVER: u64 = u64::MAX;

/// One deadline: the tick at which it fires and the task to wake then.
#[derive(Debug)]
pub(crate) struct Entry {
    at: AtomicU64,
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Entry {
    fn new(at: u64) -> Arc<Entry> {
        Arc::new(Entry {
            at: AtomicU64::new(at),
            fired: AtomicBool::new(false),
            waker: Mutex::new(None),
        })
    }

    /// A deadline `limit` from now, watched by this thread's sweeper, or
    /// `None` when no sweeper runs on this thread.
    pub(crate) fn after(limit: Duration) -> Option<Arc<Entry>> {
        SWEEP.with(|cell| {
            let mut sweep = cell.borrow_mut();
            sweep.started?;
            if sweep.entries.is_empty() {
                // The sweeper idles while there is nothing to watch.
                if let Some(waker) = sweep.waker.take() {
                    waker.wake();
                }
            }
            let entry = Entry::new(sweep.ticks_now().saturating_add(ticks(limit)));
            sweep.entries.push(entry.clone());
            Some(entry)
        })
    }

    /// Sets the deadline again, `limit` from now.
    pub(crate) fn arm(&self, limit: Duration) {
        let now = SWEEP.with(|cell| cell.borrow().ticks_now());
        self.fired.store(false, Ordering::Relaxed);
        self.at
            .store(now.saturating_add(ticks(limit)), Ordering::Relaxed);
    }

    /// Stops the deadline until it is armed again.
    pub(crate) fn disarm(&self) {
        self.at.store(NEVER, Ordering::Relaxed);
        self.fired.store(false, Ordering::Relaxed);
    }

    /// Whether the deadline passed; if not, `cx`'s task is woken when it
    /// does.
    pub(crate) fn poll_fired(&self, cx: &mut Context<'_>) -> bool {
        if self.fired.load(Ordering::Acquire) {
            return true;
        }
        let mut waker = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        false
    }

    /// Waits until the deadline passes.
    pub(crate) async fn fired(&self) {
        std::future::poll_fn(|cx| {
            if self.poll_fired(cx) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// How a connection's writes are going, as [`Watched`] sees them: whether
/// the last write was refused for a full socket buffer, and a count of
/// writes that went through. The idle deadline is armed when a response
/// has been handed to hyper, which may still hold part of it; when the
/// deadline passes while the client is still taking that part, the
/// connection is given more time rather than cut mid-response.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    blocked: AtomicBool,
    done: AtomicU64,
}

impl Writes {
    /// Whether the connection is still sending and got some of it out
    /// since `before` (what [`Writes::done`] said then).
    pub(crate) fn sending_since(&self, before: u64) -> bool {
        self.blocked.load(Ordering::Relaxed) && self.done() != before
    }

    pub(crate) fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    fn record<T>(&self, polled: &Poll<T>) {
        match polled {
            Poll::Pending => self.blocked.store(true, Ordering::Relaxed),
            Poll::Ready(_) => {
                self.blocked.store(false, Ordering::Relaxed);
                self.done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A connection's stream, reporting its writes to [`Writes`].
#[derive(Debug)]
pub(crate) struct Watched<S> {
    stream: S,
    writes: Arc<Writes>,
    /// The latest bytes read (see `sniff.rs`).
    tail: Arc<Tail>,
}

impl<S> Watched<S> {
    pub(crate) fn new(stream: S, writes: Arc<Writes>, tail: Arc<Tail>) -> Watched<S> {
        Watched {
            stream,
            writes,
            tail,
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if polled.is_ready() {
            this.tail.record(&buf.filled()[before..]);
        }
        polled
    }
}

/// hyper's answer to a head it could not take as too large, and what it
/// says instead when the cause was a `Content-Length` past what hyper can
/// represent: the body is too large (413), not the headers (431). Both
/// lines have one length, so a partial write maps one to one.
const HEADERS_TOO_LARGE: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\n";
const BODY_TOO_LARGE: &[u8] = b"HTTP/1.1 413 Content Too Large (body length)\r\n";

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if buf.starts_with(HEADERS_TOO_LARGE) && this.tail.content_length_overflows() {
            let mut rewritten = buf.to_vec();
            rewritten[..BODY_TOO_LARGE.len()].copy_from_slice(BODY_TOO_LARGE);
            let polled = Pin::new(&mut this.stream).poll_write(cx, &rewritten);
            this.writes.record(&polled);
            return polled;
        }
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.writes.record(&polled);
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if bufs
            .first()
            .is_some_and(|b| b.starts_with(HEADERS_TOO_LARGE))
            && this.tail.content_length_overflows()
        {
            let mut first = bufs[0].to_vec();
            first[..BODY_TOO_LARGE.len()].copy_from_slice(BODY_TOO_LARGE);
            let mut rewritten = vec![std::io::IoSlice::new(&first)];
            rewritten.extend(bufs[1..].iter().map(|b| std::io::IoSlice::new(b)));
            let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, &rewritten);
            this.writes.record(&polled);
            return polled;
        }
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.writes.record(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Whole ticks in `limit`, plus one: ticks are counted whole, so the
/// current one may be nearly over, and a deadline must not fire early.
fn ticks(limit: Duration) -> u64 {
    let tick = TICK.as_nanos();
    u64::try_from(limit.as_nanos().div_ceil(tick) + 1).unwrap_or(NEVER - 1)
}

/// The time limit passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// Runs `future` to completion unless `limit` passes first. A future ready
/// at once (a body already in the buffer) arms nothing; off a worker thread
/// a tokio timer stands in. The future is pinned by the caller, in its own
/// state: moving a proxied request's future once more costs kilobytes of
/// copying.
pub(crate) fn within<F: Future>(limit: Duration, future: Pin<&mut F>) -> Within<'_, F> {
    Within {
        future,
        limit,
        timer: Timer::Unarmed,
    }
}

/// What watches a [`Within`]'s limit, once its future has had to wait.
enum Timer {
    Unarmed,
    Deadline(Arc<Entry>),
    /// Off a worker thread, where no sweeper runs.
    Tokio(Pin<Box<tokio::time::Sleep>>),
}

/// The future [`within`] returns.
pub(crate) struct Within<'a, F> {
    future: Pin<&'a mut F>,
    limit: Duration,
    timer: Timer,
}

impl<F: Future> Future for Within<'_, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(output) = this.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if let Timer::Unarmed = this.timer {
            this.timer = match Entry::after(this.limit) {
                Some(entry) => Timer::Deadline(entry),
                None => Timer::Tokio(Box::pin(tokio::time::sleep(this.limit))),
            };
        }
        let fired = match &mut this.timer {
            Timer::Deadline(entry) => entry.poll_fired(cx),
            Timer::Tokio(sleep) => sleep.as_mut().poll(cx).is_ready(),
            Timer::Unarmed => false,
        };
        if fired {
            Poll::Ready(Err(Elapsed))
        } else {
            Poll::Pending
        }
    }
}

/// The deadlines of one worker thread.
struct Sweep {
    /// When this thread's sweeper started; `None` while it has none.
    started: Option<Instant>,
    /// Dropped by their owners when only this list holds them.
    entries: Vec<Arc<Entry>>,
    /// The sweeper, idle while `entries` is empty.
    waker: Option<Waker>,
}

impl Sweep {
    fn ticks_now(&self) -> u64 {
        self.started.map_or(0, |s| {
            u64::try_from(s.elapsed().as_nanos() / TICK.as_nanos()).unwrap_or(NEVER - 1)
        })
    }

    /// Marks the deadlines that passed; returns the tasks to wake.
    fn advance(&mut self) -> Vec<Waker> {
        let now = self.ticks_now();
        let mut due = Vec::new();
        self.entries.retain(|entry| {
            if Arc::strong_count(entry) == 1 {
                return false;
            }
            if entry.at.load(Ordering::Relaxed) <= now && !entry.fired.swap(true, Ordering::AcqRel)
            {
                let waker = entry.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
                due.extend(waker);
            }
            true
        });
        due
    }
}

thread_local! {
    static SWEEP: RefCell<Sweep> = const {
        RefCell::new(Sweep { started: None, entries: Vec::new(), waker: None })
    };
}

/// Makes this thread watch its deadlines, from now on, with the task
/// returned; run it on the worker's own single-threaded runtime for as long
/// as the worker runs. Set up before the task first runs, so a connection
/// accepted in the meantime is watched too.
pub(crate) fn sweeper() -> impl Future<Output = ()> {
    SWEEP.with(|cell| {
        cell.borrow_mut().started = Some(Instant::now());
    });
    let stop = Stop;
    async move {
        let _stop = stop;
        loop {
            std::future::poll_fn(|cx| {
                SWEEP.with(|cell| {
                    let mut sweep = cell.borrow_mut();
                    if sweep.entries.is_empty() {
                        sweep.waker = Some(cx.waker().clone());
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
            })
            .await;
            tokio::time::sleep(TICK).await;
            // Woken after the list is released: a waker may run code that
            // arms another deadline.
            let due = SWEEP.with(|cell| cell.borrow_mut().advance());
            for waker in due {
                waker.wake();
            }
        }
    }
}

/// Leaves the thread without a sweeper when [`sweeper`]'s task is dropped, so
/// deadlines armed later fall back to tokio timers rather than never firing.
struct Stop;

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = SWEEP.try_with(|cell| {
            let mut sweep = cell.borrow_mut();
            sweep.started = None;
            for entry in sweep.entries.drain(..) {
                entry.fired.store(true, Ordering::Release);
                if let Some(waker) = entry.waker.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    waker.wake();
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use super::*;

    fn worker() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_ready_future_arms_nothing() {
        worker().block_on(async {
            tokio::spawn(sweeper());
            let out = within(Duration::from_millis(1), pin!(async { 7 })).await;
            assert_eq!(out, Ok(7));
            assert!(SWEEP.with(|c| c.borrow().entries.is_empty()));
        });
    }

    #[test]
    fn a_late_future_is_cut_off_after_its_limit_and_not_before() {
        worker().block_on(async {
            tokio::spawn(sweeper());
            let started = Instant::now();
            let out = within(
                Duration::from_millis(200),
                pin!(tokio::time::sleep(Duration::from_secs(5))),
            )
            .await;
            let took = started.elapsed();
            assert_eq!(out, Err(Elapsed));
            assert!(took >= Duration::from_millis(200), "{took:?}");
            assert!(took < Duration::from_secs(2), "{took:?}");
            // A future that finishes in time keeps its output.
            let out = within(
                Duration::from_secs(5),
                pin!(async {
                    tokio::time::sleep(Duration::from_millis(60)).await;
                    "done"
                }),
            )
            .await;
            assert_eq!(out, Ok("done"));
        });
    }

    #[test]
    fn without_a_sweeper_a_tokio_timer_stands_in() {
        worker().block_on(async {
            let out = within(
                Duration::from_millis(50),
                pin!(tokio::time::sleep(Duration::from_secs(5))),
            )
            .await;
            assert_eq!(out, Err(Elapsed));
        });
    }

    #[test]
    fn an_entry_can_be_disarmed_and_armed_again() {
        worker().block_on(async {
            tokio::spawn(sweeper());
            let entry = Entry::after(Duration::from_millis(100)).expect("a sweeper runs");
            entry.disarm();
            let waited = tokio::time::timeout(Duration::from_millis(400), entry.fired()).await;
            assert!(waited.is_err(), "a disarmed deadline fired");
            entry.arm(Duration::from_millis(100));
            let started = Instant::now();
            entry.fired().await;
            assert!(started.elapsed() >= Duration::from_millis(50));
            // Dropped by its owner, it leaves the list at the next sweep.
            drop(entry);
            tokio::time::sleep(TICK * 3).await;
            assert!(SWEEP.with(|c| c.borrow().entries.is_empty()));
        });
    }
}
