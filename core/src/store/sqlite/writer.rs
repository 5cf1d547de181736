//! The one writer: a thread that owns the write connection and commits in groups.
//!
//! SQLite takes one writer at a time, and with `synchronous = FULL` every commit is an
//! `fsync`. A customer message makes about a dozen small writes (the inbox, the chat,
//! its messages, counters, the lease), and a burst of webhooks one each: committed
//! one by one they made the disk the limit and queued every caller on a lock. Here
//! every write waiting at a moment runs in one transaction (a group commit), each in
//! a savepoint of its own, so that:
//!
//! - a write is atomic: when it fails, its savepoint is rolled back and nothing of it
//!   remains, while the others of its group are committed;
//! - a write is durable before its caller hears of it: the answers go out after the
//!   group's `COMMIT`, so a later read, on any connection, sees it;
//! - a lone write costs what it did (one transaction), and N waiting writes cost one
//!   `fsync` instead of N;
//! - a write someone outside is waiting on (a webhook's event, which Facebook wants
//!   acknowledged at once) goes [`Lane::First`]: it joins the group being written
//!   and the group is committed right after it, instead of queueing behind the
//!   pipeline's own writes.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::store::{Result, StoreError};

/// The most writes in one transaction: a flood is committed in bites, so that no
/// caller waits behind a very long group.
const MAX_GROUP: usize = 512;

/// Counters for `/metrics`: their ratio is how many writes share a commit.
pub const TRANSACTIONS_METRIC: &str = "closer_sqlite_transactions_total";
pub const WRITES_METRIC: &str = "closer_sqlite_writes_total";

/// A write waiting for the writer: run in a group, or refused when the group is lost
/// before its turn.
trait Job: Send {
    fn run(self: Box<Self>, conn: &Connection) -> Ran;
    fn refuse(self: Box<Self>, why: &str);
}

/// Tells a caller whether its group was committed (`None`) or why it was not.
type Answer = Box<dyn FnOnce(Option<&str>) + Send>;

/// What a write did, and how to tell its caller.
struct Ran {
    /// The write failed: its savepoint is rolled back.
    failed: bool,
    answer: Answer,
}

struct Pending<F, T> {
    work: F,
    reply: oneshot::Sender<Result<T>>,
}

impl<F, T> Job for Pending<F, T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> Ran {
        let Self { work, reply } = *self;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Backend("a store write panicked".into())));
        Ran {
            failed: outcome.is_err(),
            answer: Box::new(move |not_committed| {
                let outcome = match not_committed {
                    None => outcome,
                    Some(why) => Err(StoreError::Unavailable(why.to_owned())),
                };
                // The caller may have gone (its client hung up): nothing to tell.
                let _ = reply.send(outcome);
            }),
        }
    }

    fn refuse(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(StoreError::Unavailable(why.to_owned())));
    }
}

/// The handle the store keeps: writes go in, and the thread stops when it is dropped
/// (after the writes already sent).
#[derive(Debug)]
pub(super) struct Writer {
    jobs: Sender<(Lane, Box<dyn Job>)>,
}

/// Which writes go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lane {
    /// Someone outside waits for this write (a platform for its acknowledgement):
    /// ahead of every [`Lane::Queued`] write, and committed as soon as it is written.
    First,
    /// Our own work (the pipeline, the API): in order, in groups as large as waiting
    /// writes make them.
    Queued,
}

impl Writer {
    pub(super) fn start(conn: Connection) -> std::io::Result<Self> {
        let (jobs, waiting) = mpsc::channel();
        std::thread::Builder::new()
            .name("closer-sqlite-writer".into())
            .spawn(move || run(&conn, &waiting))?;
        Ok(Self { jobs })
    }

    /// Runs `work` atomically in the next group and answers once it is committed.
    pub(super) async fn write<T, F>(&self, lane: Lane, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Backend("the database writer has stopped".into());
        self.jobs.send((lane, Box::new(Pending { work, reply }))).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn run(conn: &Connection, waiting: &Receiver<(Lane, Box<dyn Job>)>) {
    let mut queue = Queue::default();
    loop {
        if queue.is_empty() {
            match waiting.recv() {
                Ok(job) => queue.push(job),
                // Every handle is gone and every write answered.
                Err(_) => return,
            }
        }
        queue.take(waiting);
        let mut group = Group::begin(conn);
        // Writes that arrive while a group runs join it: the busier the writer, the
        // larger its groups, and the fewer commits per write. Until a write goes
        // first: then the group is committed after it, and the queued rest waits for
        // the next one.
        let mut first_in_group = false;
        while group.len() < MAX_GROUP {
            if let Some(job) = queue.first.pop_front() {
                group.run(job);
                first_in_group = true;
            } else if first_in_group {
                break;
            } else if let Some(job) = queue.queued.pop_front() {
                group.run(job);
            } else {
                break;
            }
            queue.take(waiting);
        }
        metrics::counter!(WRITES_METRIC).increment(group.len() as u64);
        metrics::counter!(TRANSACTIONS_METRIC).increment(1);
        group.commit();
    }
}

/// The writes received and not yet run, by lane.
#[derive(Default)]
struct Queue {
    first: VecDeque<Box<dyn Job>>,
    queued: VecDeque<Box<dyn Job>>,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.first.is_empty() && self.queued.is_empty()
    }

    fn push(&mut self, (lane, job): (Lane, Box<dyn Job>)) {
        match lane {
            Lane::First => self.first.push_back(job),
            Lane::Queued => self.queued.push_back(job),
        }
    }

    /// Everything sent meanwhile, without waiting.
    fn take(&mut self, waiting: &Receiver<(Lane, Box<dyn Job>)>) {
        while let Ok(job) = waiting.try_recv() {
            self.push(job);
        }
    }
}

/// One transaction and the answers it owes.
struct Group<'c> {
    conn: &'c Connection,
    answers: Vec<Answer>,
    /// Why the transaction is lost, if it is: every write of the group hears it.
    lost: Option<String>,
}

impl<'c> Group<'c> {
    fn begin(conn: &'c Connection) -> Self {
        // IMMEDIATE takes the write lock now, so no write of the group can meet a
        // busy database half-way (another process writing the file waits its turn).
        let lost = run_sql(conn, "BEGIN IMMEDIATE").err().map(|e| e.to_string());
        Self { conn, answers: Vec::new(), lost }
    }

    fn len(&self) -> usize {
        self.answers.len()
    }

    fn run(&mut self, job: Box<dyn Job>) {
        if self.lost.is_none()
            && let Err(e) = run_sql(self.conn, "SAVEPOINT write")
        {
            self.lose(&e);
        }
        if self.lost.is_some() {
            // Not run: the caller hears why in `commit`.
            self.answers.push(Box::new(move |why| job.refuse(why.unwrap_or("the transaction was lost"))));
            return;
        }
        let ran = job.run(self.conn);
        let rolled_back = if ran.failed { run_sql(self.conn, "ROLLBACK TO write") } else { Ok(()) };
        if let Err(e) = rolled_back.and_then(|()| run_sql(self.conn, "RELEASE write")) {
            self.lose(&e);
        }
        self.answers.push(ran.answer);
    }

    fn commit(mut self) {
        if self.lost.is_none()
            && let Err(e) = run_sql(self.conn, "COMMIT")
        {
            self.lose(&e);
        }
        if self.lost.is_some() && !self.conn.is_autocommit() {
            // Nothing of the group may stay: the next group begins clean.
            let _ = run_sql(self.conn, "ROLLBACK");
        }
        let why = self.lost.as_deref().map(|why| format!("the write was not committed: {why}"));
        for answer in self.answers {
            answer(why.as_deref());
        }
    }

    fn lose(&mut self, error: &rusqlite::Error) {
        self.lost.get_or_insert_with(|| error.to_string());
    }
}

/// Runs one of the writer's own statements, prepared once: each write costs a savepoint
/// and its release, and parsing them every time showed in profiles.
fn run_sql(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::mpsc as std_mpsc;
    use std::time::Duration;

    use super::*;

    fn database(dir: &tempfile::TempDir) -> (Connection, PathBuf) {
        let path = dir.path().join("writer.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT PRIMARY KEY)").expect("schema");
        (conn, path)
    }

    /// What another connection sees committed.
    fn committed(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).expect("open");
        let mut stmt = conn.prepare("SELECT v FROM t ORDER BY v").expect("prepare");
        stmt.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
    }

    fn insert(conn: &Connection, v: &str) -> Result<()> {
        conn.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
        Ok(())
    }

    #[tokio::test]
    async fn writes_waiting_together_commit_together_and_a_failed_one_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = database(&dir);
        let writer = Writer::start(conn).expect("start");

        // The first write holds the writer until the others are queued behind it.
        let (go, wait) = std_mpsc::channel::<()>();
        let first = writer.write(Lane::Queued, move |conn| {
            wait.recv().expect("released");
            insert(conn, "a")
        });
        let failing = writer.write(Lane::Queued, |conn| {
            insert(conn, "b")?;
            Err::<(), _>(StoreError::Conflict("refused after writing".into()))
        });
        let reader = path.clone();
        let last = writer.write(Lane::Queued, move |conn| {
            insert(conn, "c")?;
            // Same transaction as the first: its row is not committed yet.
            Ok(committed(&reader))
        });
        let release = async { go.send(()).expect("the first write waits") };
        let (first, failing, last, ()) = tokio::join!(first, failing, last, release);

        first.expect("first");
        assert!(matches!(failing, Err(StoreError::Conflict(_))), "{failing:?}");
        assert_eq!(last.expect("last"), Vec::<String>::new(), "one group: nothing committed mid-way");
        assert_eq!(committed(&path), ["a", "c"], "the failed write is rolled back alone");
    }

    #[tokio::test]
    async fn a_write_that_goes_first_is_committed_before_the_queued_ones() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = database(&dir);
        let writer = std::sync::Arc::new(Writer::start(conn).expect("start"));

        // A group is being written (held until released) when the others arrive.
        let (started, running) = oneshot::channel();
        let (go, wait) = std_mpsc::channel::<()>();
        let held = tokio::spawn({
            let writer = std::sync::Arc::clone(&writer);
            async move {
                writer
                    .write(Lane::Queued, move |conn| {
                        started.send(()).expect("the test waits");
                        wait.recv().expect("released");
                        insert(conn, "a")
                    })
                    .await
            }
        });
        running.await.expect("the held write runs");
        let reader = path.clone();
        let queued = writer.write(Lane::Queued, move |conn| {
            insert(conn, "q")?;
            Ok(committed(&reader))
        });
        let first = writer.write(Lane::First, |conn| insert(conn, "f"));
        let release = async { go.send(()).expect("the held write waits") };
        let (queued, first, ()) = tokio::join!(queued, first, release);

        held.await.expect("task").expect("held");
        first.expect("first");
        assert_eq!(
            queued.expect("queued"),
            ["a", "f"],
            "sent last, the write that goes first joined the running group, which was committed before the queued one ran"
        );
        assert_eq!(committed(&path), ["a", "f", "q"]);
    }

    #[tokio::test]
    async fn a_panicking_write_is_an_error_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = database(&dir);
        let writer = Writer::start(conn).expect("start");

        let panicked = writer
            .write(Lane::Queued, |conn| {
                insert(conn, "half")?;
                panic!("a bug in a write");
                #[allow(unreachable_code)]
                Ok(())
            })
            .await;
        assert!(
            matches!(panicked, Err(StoreError::Backend(ref m)) if m.contains("panicked")),
            "{panicked:?}"
        );
        writer.write(Lane::Queued, |conn| insert(conn, "next")).await.expect("the writer is still there");
        assert_eq!(committed(&path), ["next"]);
    }

    #[tokio::test]
    async fn a_group_that_cannot_begin_is_refused_and_the_next_one_commits() {
        let dir = tempfile::tempdir().expect("dir");
        let (conn, path) = database(&dir);
        conn.busy_timeout(Duration::from_millis(20)).expect("timeout");
        let writer = Writer::start(conn).expect("start");

        // Another process writing the file for longer than the writer waits.
        let other = Connection::open(&path).expect("open");
        other.execute_batch("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('other')").expect("lock");
        let refused = writer.write(Lane::Queued, |conn| insert(conn, "refused")).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(ref m)) if m.contains("not committed: database is locked")),
            "{refused:?}"
        );

        other.execute_batch("COMMIT").expect("commit");
        writer.write(Lane::Queued, |conn| insert(conn, "later")).await.expect("written once free");
        assert_eq!(committed(&path), ["later", "other"]);
    }
}
