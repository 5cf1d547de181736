//! Writes (and a few reads by id, and the inbox's claims) that wait together go
//! together. Callers of one kind of write queue up; while
//! one command is at the server, the next callers gather, and the first of them to
//! get the turn sends everything gathered in one command. Nothing waits on a timer:
//! one caller alone goes at once, and under load a command carries as many writes as
//! arrived during the one before it. Each caller still gets its own answer.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use mongodb::bson::Document;
use tokio::sync::oneshot;

use crate::model::Enqueued;
use crate::store::{Result, StoreError};

/// Writes per command at most: far below the server's limits (100,000 statements,
/// 48 MB), and a bound on how long one command keeps the others waiting.
const MAX_BATCH: usize = 1_000;

/// An update found by a filter on fields that never change, and the update.
pub(super) type KeyedUpdate = (Document, Document);

/// The kinds of writes batched, one [`Batcher`] each.
#[derive(Debug, Default)]
pub(super) struct Batches {
    /// Workers wanting a conversation, served by rounds of claims.
    pub claims: Batcher<super::inbox::Wanted, Option<crate::model::InboxClaim>>,
    /// Webhook events into the inbox.
    pub enqueues: Batcher<Document, Enqueued>,
    /// Analytics increments (upserts, summed per record); `false`: lost the race to
    /// create the day.
    pub increments: Batcher<super::counters::Increment, bool>,
    /// New messages; `false`: stored already.
    pub messages: Batcher<Document, bool>,
    /// Messages' delivery states; `false`: no such message.
    pub deliveries: Batcher<KeyedUpdate, bool>,
    /// Campaigns' stats (summed per campaign); `false`: no such campaign.
    pub campaign_stats: Batcher<super::counters::Increment, bool>,
    /// Inbox events done or failed; `false`: their lease was lost.
    pub endings: Batcher<super::inbox::Ending, bool>,
    /// Holds let go of by conversations whose last event ended (filters on their lease).
    pub lets_go: Batcher<Document, ()>,
    /// Chats' fields set (mode, lead, status…) and their counters moved as messages
    /// are appended; `false`: no such chat.
    pub chat_updates: Batcher<KeyedUpdate, bool>,
    /// Customers' chats found or created (upserts).
    pub chat_opens: Batcher<Document, super::chats::Opened>,
    /// Chats read by their ids (and checked to be their business's).
    pub chat_reads: Batcher<(crate::model::UserId, crate::model::ChatId), Option<Document>>,
}

#[derive(Debug)]
pub(super) struct Batcher<Item, Output> {
    waiting: Mutex<Vec<(Item, oneshot::Sender<Result<Output>>)>>,
    turn: tokio::sync::Mutex<()>,
}

impl<Item, Output> Default for Batcher<Item, Output> {
    fn default() -> Self {
        Self { waiting: Mutex::default(), turn: tokio::sync::Mutex::default() }
    }
}

impl<Item, Output> Batcher<Item, Output> {
    /// Writes `item` together with whatever else is waiting: `write` gets the items,
    /// in the order they came, and answers each in that order (or fails them all).
    pub(super) async fn write<F, Fut>(&self, item: Item, write: F) -> Result<Output>
    where
        F: Fn(Vec<Item>) -> Fut,
        Fut: Future<Output = Result<Vec<Result<Output>>>>,
    {
        let (answer, mut answered) = oneshot::channel();
        self.lock_waiting().push((item, answer));
        // A batch cut short (its caller's task cancelled) drops the answers it owed:
        // those writes may or may not have been made, as for any interrupted call.
        let interrupted = || StoreError::Unavailable("a batched write was interrupted: try again".into());
        loop {
            tokio::select! {
                biased;
                result = &mut answered => return result.unwrap_or_else(|_| Err(interrupted())),
                _turn = self.turn.lock() => {
                    match answered.try_recv() {
                        Ok(result) => return result,
                        Err(oneshot::error::TryRecvError::Closed) => return Err(interrupted()),
                        // Ours is in the next batch, unless more than a batch waited
                        // before it: then the turn is taken again.
                        Err(oneshot::error::TryRecvError::Empty) => self.send_next(&write).await,
                    }
                }
            }
        }
    }

    /// Sends the oldest waiting writes as one batch and hands out the answers.
    async fn send_next<F, Fut>(&self, write: &F)
    where
        F: Fn(Vec<Item>) -> Fut,
        Fut: Future<Output = Result<Vec<Result<Output>>>>,
    {
        let batch: Vec<_> = {
            let mut waiting = self.lock_waiting();
            let n = waiting.len().min(MAX_BATCH);
            waiting.drain(..n).collect()
        };
        let (items, answers): (Vec<Item>, Vec<_>) = batch.into_iter().unzip();
        match write(items).await {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            Err(error) => {
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
    }

    fn lock_waiting(&self) -> MutexGuard<'_, Vec<(Item, oneshot::Sender<Result<Output>>)>> {
        // Pushing and draining leave the vector whole, even after a panic elsewhere.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A "server" that doubles every number, slowly, and records its batch sizes.
    async fn double(sizes: &Mutex<Vec<usize>>, items: Vec<u64>) -> Result<Vec<Result<u64>>> {
        sizes.lock().expect("sizes").push(items.len());
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(items
            .into_iter()
            .map(|n| if n == 13 { Err(StoreError::Conflict("13".into())) } else { Ok(n * 2) })
            .collect())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_waiting_together_go_together_and_each_gets_its_own_answer() {
        let batcher = Arc::new(Batcher::<u64, u64>::default());
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let writes: Vec<_> = (0..2_500_u64)
            .map(|n| {
                let (batcher, sizes) = (Arc::clone(&batcher), Arc::clone(&sizes));
                tokio::spawn(async move { (n, batcher.write(n, |items| double(&sizes, items)).await) })
            })
            .collect();
        for write in writes {
            let (n, answer) = write.await.expect("join");
            match answer {
                Ok(doubled) => assert_eq!(doubled, n * 2),
                Err(error) => assert!(n == 13 && matches!(error, StoreError::Conflict(_)), "{n}: {error}"),
            }
        }
        let sizes = sizes.lock().expect("sizes").clone();
        assert_eq!(sizes.iter().sum::<usize>(), 2_500, "every write sent once");
        assert!(sizes.len() < 100, "writes went together: {sizes:?}");
        assert!(sizes.iter().all(|&size| size <= MAX_BATCH), "{sizes:?}");
    }

    #[tokio::test]
    async fn a_failed_command_fails_its_writes_and_the_next_one_goes_on() {
        let batcher = Batcher::<u64, u64>::default();
        let calls = AtomicUsize::new(0);
        let flaky = |items: Vec<u64>| {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if call == 0 {
                    Err(StoreError::Unavailable("the server went away".into()))
                } else {
                    Ok(items.into_iter().map(Ok).collect())
                }
            }
        };
        assert!(matches!(batcher.write(1, flaky).await, Err(StoreError::Unavailable(_))));
        assert_eq!(batcher.write(2, flaky).await.expect("the next command"), 2);
    }
}
