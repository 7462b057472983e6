//! The gateway task: the kernel's commands to venue calls, and the venue's
//! refusals back to the kernel as inputs. Execution reports themselves
//! come from the venue's push stream, not from here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::time::Instant;

use kestrel_model::{Instrument, InstrumentIndex};
use kestrel_venue::{ExecutionClient, OrderSpec, VenueError};
use tokio::sync::mpsc::UnboundedReceiver;

use super::latency::{Latencies, Stage};
use super::patiently;
use super::reconcile::{ReconcileMode, reconcile};
use super::session::{GatewayCommand, LiveInput};

/// What the gateway did.
#[derive(Debug, Default)]
pub struct GatewayStats {
    /// Orders the venue took.
    pub submitted: AtomicU64,
    /// Orders the venue refused.
    pub rejected: AtomicU64,
    /// Orders whose fate stayed unknown after every retry and look-up;
    /// reconciliation resolves them.
    pub unknown: AtomicU64,
    /// Cancels the venue took.
    pub cancelled: AtomicU64,
    /// Cancels the venue refused.
    pub cancel_rejected: AtomicU64,
    /// From an order's hand-over to the venue's answer.
    pub latency: Mutex<Latencies>,
}

/// Runs until the command channel closes: the gateway of the kernel's
/// instrument `ix`. Each command runs as its own task, so one slow call
/// does not hold up the rest.
pub async fn run<C: ExecutionClient + 'static>(
    client: Arc<C>,
    (ix, instrument): (InstrumentIndex, Instrument),
    mut commands: UnboundedReceiver<GatewayCommand>,
    inputs: Sender<LiveInput>,
    stats: Arc<GatewayStats>,
) {
    let instrument = Arc::new(instrument);
    while let Some(command) = commands.recv().await {
        let (client, inputs, stats) = (Arc::clone(&client), inputs.clone(), Arc::clone(&stats));
        let instrument = Arc::clone(&instrument);
        tokio::spawn(async move {
            match command {
                GatewayCommand::Submit(order) => {
                    let handed_over = Instant::now();
                    submit(&*client, ix, order, &inputs, &stats).await;
                    let ns = u64::try_from(handed_over.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    if let Ok(mut l) = stats.latency.lock() {
                        l.record(Stage::DispatchToSent, ns);
                    }
                }
                GatewayCommand::Cancel(id) => match client.cancel(id).await {
                    Ok(_) => {
                        stats.cancelled.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        stats.cancel_rejected.fetch_add(1, Ordering::Relaxed);
                        let _ = inputs.send(LiveInput::CancelFailed(id));
                    }
                },
                GatewayCommand::CancelAll => {
                    let _ = client.cancel_all().await;
                }
                GatewayCommand::FetchFills { id, order_id } => {
                    let fills = patiently(|| client.order_fills(order_id)).await;
                    let _ = inputs.send(LiveInput::OrderFills { id, fills });
                }
                GatewayCommand::Reconcile {
                    known,
                    last_trade_id,
                } => {
                    let found = patiently(|| {
                        reconcile(
                            &*client,
                            (ix, &instrument),
                            &known,
                            last_trade_id,
                            ReconcileMode::Live,
                            None,
                        )
                    })
                    .await;
                    let _ = inputs.send(LiveInput::Reconciled(ix, found));
                }
            }
        });
    }
}

async fn submit<C: ExecutionClient>(
    client: &C,
    ix: InstrumentIndex,
    order: OrderSpec,
    inputs: &Sender<LiveInput>,
    stats: &GatewayStats,
) {
    let mut result = client.submit(&order).await;
    if result.as_ref().is_err_and(VenueError::outcome_unknown) {
        // One more look after the venue has had time to settle.
        tokio::time::sleep(Duration::from_millis(500)).await;
        result = match client.order(order.id).await {
            Err(VenueError::UnknownOrder) => Err(VenueError::Rejected {
                code: 0,
                msg: "never reached the venue".into(),
            }),
            other => other,
        };
    }
    match result {
        Ok(_) => {
            stats.submitted.fetch_add(1, Ordering::Relaxed);
        }
        // An answer we could not read still means the venue took it.
        Err(e) if e.outcome_unknown() || matches!(e, VenueError::Decode(_)) => {
            stats.unknown.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            stats.rejected.fetch_add(1, Ordering::Relaxed);
            let _ = inputs.send(LiveInput::SubmitFailed {
                ix,
                id: order.id,
                side: order.side,
                reason: e.reject_reason(),
            });
        }
    }
}
