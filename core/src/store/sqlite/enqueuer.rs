//! Webhook events reach the inbox in bursts, and each is acknowledged only once it is
//! on disk. One fsync'd transaction per event made the disk the limit; the enqueuer
//! writes every event waiting at that moment in one transaction (a group commit), so
//! a burst of N costs one fsync instead of N, and a lone event costs what it did.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{inbox, lock};
use crate::model::{Enqueued, NewInboxEvent};
use crate::store::{Result, StoreError};

/// The most events in one transaction: a flood is written in bites, so no reply waits
/// behind a very long commit.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<Enqueued>>;

/// The inbox's writer thread: it shares the store's writer connection (and its lock),
/// and stops when the store is dropped.
#[derive(Debug)]
pub(super) struct Enqueuer {
    jobs: Sender<(NewInboxEvent, Reply)>,
}

impl Enqueuer {
    pub(super) fn start(writer: Arc<Mutex<Connection>>) -> std::io::Result<Self> {
        let (jobs, waiting) = mpsc::channel();
        std::thread::Builder::new()
            .name("closer-inbox-writer".into())
            .spawn(move || run(&writer, &waiting))?;
        Ok(Self { jobs })
    }

    pub(super) async fn enqueue(&self, event: NewInboxEvent) -> Result<Enqueued> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Backend("the inbox writer has stopped".into());
        self.jobs.send((event, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn run(writer: &Mutex<Connection>, waiting: &Receiver<(NewInboxEvent, Reply)>) {
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (events, replies): (Vec<NewInboxEvent>, Vec<Reply>) = batch.into_iter().unzip();
        match write(&mut lock(writer), &events) {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // The request may have gone (its client hung up): nothing to tell.
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                // Nothing of the batch was committed: each caller hears why.
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
    }
}

/// One transaction for the batch. An event that fails on its own (it cannot be
/// stored) fails alone; the others are committed.
fn write(conn: &mut Connection, events: &[NewInboxEvent]) -> Result<Vec<Result<Enqueued>>> {
    let transaction = conn.transaction()?;
    let outcomes = events.iter().map(|event| inbox::enqueue(&transaction, event)).collect();
    transaction.commit()?;
    Ok(outcomes)
}
