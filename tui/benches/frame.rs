//! The console's frame time: what one frame costs with 10,000 chats in the list, a
//! 5,000-message transcript, and live events arriving at 200 a second.
//!
//! `cargo bench -p closer-tui --bench frame` (add `-- 3` for more seconds per
//! figure, 1 by default; `-- transcript` or `list`, `live`, `empty` for one group,
//! e.g. under a profiler). The app is drawn on ratatui's `TestBackend`, as the tests
//! draw it, so a frame is everything but the terminal's own write: the app's layout
//! and widgets, ratatui's buffer and its diff against the last frame.
//!
//! Machines are noisy, so every figure alternates frame by frame with its baseline,
//! an empty logged-in console of the same size, and is reported beside it. The
//! target is a frame under 16 ms (60 frames a second), judged at the 99th percentile.

// Times are counts of nanoseconds and sample counts: none comes near 2^52.
#![allow(clippy::cast_precision_loss)]

use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::time::{Duration, Instant};

use closer_core::events::{Event as Live, LiveEvent};
use closer_core::model::{
    CampaignId, Chat, ChatId, ChatMode, ChatStatus, Conversion, DeliveryState, FlowStep, LeadReason,
    LeadScore, Message, MessageId, Platform, Sender, Timestamp, UserId,
};
use closer_tui::{Answer, App, ChatDetail, Connection, Event, Options, ReplyWindow, Theme};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const TARGET: Duration = Duration::from_millis(16);
const CHATS: usize = 10_000;
const MESSAGES: usize = 5_000;
/// Live events per second in the issue, all arriving at once: the worst second.
const EVENTS: usize = 200;
/// The runner's `EVENTS_PER_FRAME`: it handles this many queued events, then draws.
const EVENTS_PER_FRAME: usize = 256;
const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];
/// Frames per figure at most; fewer when the time per figure runs out first.
const MAX_FRAMES: usize = 2_000;
const MIN_FRAMES: usize = 30;
/// More pages than the transcript has at any width (it has ~5 lines a message).
const MAX_PAGES: usize = MESSAGES * 4;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seconds: f64 = arguments.iter().find_map(|a| a.parse().ok()).unwrap_or(1.0);
    let only: Vec<&str> =
        arguments.iter().map(String::as_str).filter(|a| a.parse::<f64>().is_err()).collect();
    let chosen = |group: &str| only.is_empty() || only.contains(&group);
    let budget = Duration::from_secs_f64(seconds);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!(
        "frame benchmark ({cores} cores): up to {MAX_FRAMES} frames or {seconds} s per figure, each frame \
         followed by a baseline frame (an empty logged-in console of the same size)\n"
    );
    let started = Instant::now();
    let mut report = Report::default();
    let chats = chats();
    println!("{CHATS} chats of {} bytes each\n", size_of::<Chat>());
    for (width, height) in SIZES {
        let size = format!("{width}×{height}");
        let bench = Bench { budget, size: &size };
        let mut baseline = Console::new(width, height, Vec::new());
        if chosen("empty") {
            let mut empty = Console::new(width, height, Vec::new());
            bench.run(&mut report, &mut baseline, &mut empty, "empty console: draw", |c| time(|| c.draw()));
        }
        if chosen("list") {
            list(&bench, &mut report, &mut baseline, &chats, width, height);
        }
        if chosen("transcript") {
            transcript(&bench, &mut report, &mut baseline, &chats, width, height);
        }
        if chosen("live") {
            live(&bench, &mut report, &mut baseline, &chats, width, height);
        }
    }
    report.print();
    println!("\nthe whole run: {:.0} s", started.elapsed().as_secs_f64());
}

/// The list of 10,000 chats: drawn, moved in, searched.
fn list(bench: &Bench, report: &mut Report, baseline: &mut Console, chats: &[Chat], width: u16, height: u16) {
    let mut list = Console::new(width, height, chats.to_vec());
    bench.run(report, baseline, &mut list, "10,000 chats: draw", |c| time(|| c.draw()));
    let mut presses = 0_usize;
    bench.run(report, baseline, &mut list, "10,000 chats: j + draw", |c| {
        presses += 1;
        // Back to the top now and then, untimed, so that every press moves.
        if presses.is_multiple_of(5_000) {
            c.key(KeyCode::Home);
        }
        time(|| {
            c.key(KeyCode::Char('j'));
            c.draw();
        })
    });
    list.key(KeyCode::Home);
    presses = 0;
    bench.run(report, baseline, &mut list, "10,000 chats: PageDown + draw", |c| {
        presses += 1;
        if presses.is_multiple_of(200) {
            c.key(KeyCode::Home);
        }
        time(|| {
            c.key(KeyCode::PageDown);
            c.draw();
        })
    });
    list.key(KeyCode::Home);
    list.type_search("ma");
    let matches = list.app.chats().listed().count();
    let name = format!("10,000 chats, search \"ma\" ({matches} match): draw");
    bench.run(report, baseline, &mut list, &name, |c| time(|| c.draw()));
    let mut typed = false;
    bench.run(report, baseline, &mut list, "10,000 chats, search: a letter typed or erased + draw", |c| {
        let key = if typed { KeyCode::Backspace } else { KeyCode::Char('r') };
        typed = !typed;
        time(|| {
            c.key(key);
            c.draw();
        })
    });
}

/// A 5,000-message transcript beside (at 200 columns) or instead of (at 80) the list,
/// at its newest message, in the middle and at its oldest.
fn transcript(
    bench: &Bench,
    report: &mut Report,
    baseline: &mut Console,
    chats: &[Chat],
    width: u16,
    height: u16,
) {
    let mut console = Console::new(width, height, chats.to_vec());
    console.key(KeyCode::Enter);
    let open = console.app.chats().open_chat_id().expect("a chat is open");
    let chat = chats.iter().find(|chat| chat.id == open).expect("the open chat").clone();
    console.feed(Event::Answer(Answer::Chat(Box::new(ChatDetail {
        messages: messages(&chat),
        chat,
        window: ReplyWindow::default(),
    }))));
    for place in ["newest", "middle", "oldest"] {
        let page_ups = match place {
            "newest" => 0,
            "middle" => console.page_ups_to_show(MESSAGES / 2),
            // More pages than the transcript has: the draw stops at the oldest.
            _ => MAX_PAGES,
        };
        console.scroll_to(page_ups);
        let first = console.first_message_shown();
        let name = format!("5,000 messages, at the {place} (#{first} on top): draw");
        bench.run(report, baseline, &mut console, &name, |c| time(|| c.draw()));
        // At the oldest, PageUp again and again (the view stays there); elsewhere up
        // and down in turn, so the view stays where it is.
        let keys: &[KeyCode] =
            if place == "oldest" { &[KeyCode::PageUp] } else { &[KeyCode::PageUp, KeyCode::PageDown] };
        let what = if keys.len() == 1 { "PageUp" } else { "PageUp or PageDown" };
        let name = format!("5,000 messages, at the {place}: {what} + draw");
        let mut at = 0;
        bench.run(report, baseline, &mut console, &name, |c| {
            let key = keys[at % keys.len()];
            at += 1;
            time(|| {
                c.key(key);
                c.draw();
            })
        });
    }
}

/// Live `chat.message` events for random chats of the 10,000, the list on screen.
fn live(bench: &Bench, report: &mut Report, baseline: &mut Console, chats: &[Chat], width: u16, height: u16) {
    let mut console = Console::new(width, height, chats.to_vec());
    let mut random = Random(0x5eed + u64::from(width));
    let mut seq = 0_u64;
    // Spread over the second, the runner draws after each event (or each few).
    bench.run(report, baseline, &mut console, "1 chat.message event handled + draw", |c| {
        let event = live_message(chats, &mut random, &mut seq);
        time(|| {
            c.feed(event);
            c.draw();
        })
    });
    // All in one burst: handled together, then one frame.
    let mut handling = Vec::new();
    let name = format!("{EVENTS} chat.message events handled + draw");
    bench.run(report, baseline, &mut console, &name, |c| {
        let events: Vec<Event> = (0..EVENTS).map(|_| live_message(chats, &mut random, &mut seq)).collect();
        let started = Instant::now();
        for event in events {
            c.feed(event);
        }
        handling.push(started.elapsed());
        c.draw();
        started.elapsed()
    });
    report.rows.push(Row {
        size: bench.size.to_owned(),
        name: "  of which handling, per event".to_owned(),
        stats: Stats::of(handling.iter().map(|d| micros(*d) / EVENTS as f64).collect()),
        target: Some(micros(TARGET) / EVENTS as f64),
        baseline: None,
    });
    for queued in [EVENTS, 1_000] {
        let mut frames = 0;
        let name = format!("a key behind {queued} queued events: key to its frame");
        bench.run(report, baseline, &mut console, &name, |c| {
            let mut queue: VecDeque<Event> =
                (0..queued).map(|_| live_message(chats, &mut random, &mut seq)).collect();
            queue.push_back(Event::Key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)));
            let elapsed = time(|| frames = c.run_until_drained(queue));
            assert!(c.app.chats().is_writing(), "the key was handled");
            c.key(KeyCode::Esc);
            elapsed
        });
        if let Some(row) = report.rows.last_mut() {
            row.name = format!("{} ({frames} frames)", row.name);
            // Five seconds' worth at once: shown for how it drains, not judged.
            if queued > EVENTS_PER_FRAME {
                row.target = None;
            }
        }
    }
}

/// One size's settings for [`Bench::run`].
#[derive(Debug)]
struct Bench<'a> {
    budget: Duration,
    size: &'a str,
}

impl Bench<'_> {
    /// Frames of `frame` on `console`, each followed by a baseline frame, until
    /// `MAX_FRAMES` or the time per figure (but at least `MIN_FRAMES`). `frame`
    /// returns its own time, so that it may do untimed set-up.
    fn run(
        &self,
        report: &mut Report,
        baseline: &mut Console,
        console: &mut Console,
        name: &str,
        mut frame: impl FnMut(&mut Console) -> Duration,
    ) {
        let started = Instant::now();
        let (mut ours, mut base) = (Vec::new(), Vec::new());
        while ours.len() < MAX_FRAMES && (ours.len() < MIN_FRAMES || started.elapsed() < self.budget) {
            ours.push(micros(frame(console)));
            base.push(micros(time(|| baseline.draw())));
        }
        let stats = Stats::of(ours);
        let base = Stats::of(base);
        report.rows.push(Row {
            size: self.size.to_owned(),
            name: name.to_owned(),
            stats,
            target: Some(micros(TARGET)),
            baseline: Some((base.median, base.p99)),
        });
    }
}

fn time(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    size: String,
    name: String,
    stats: Stats,
    /// In microseconds; `None` where there is none.
    target: Option<f64>,
    /// The baseline's median and 99th percentile in microseconds, measured
    /// alternately with this figure: how noisy the machine was meanwhile.
    baseline: Option<(f64, f64)>,
}

impl Report {
    fn print(&self) {
        let name_width = self.rows.iter().map(|row| row.name.chars().count()).max().unwrap_or(10);
        println!(
            "{:<7} {:<name_width$} {:>6} {:>9} {:>9} {:>9} {:>8} {:>9} {:>9} {:>7}  verdict (p99)",
            "size", "figure", "frames", "median", "p99", "max", "target", "base med", "base p99", "ratio"
        );
        for row in &self.rows {
            let ratio = row
                .baseline
                .map_or_else(String::new, |(median, _)| format!("{:.1}×", row.stats.median / median));
            let verdict = match row.target {
                Some(target) if row.stats.p99 < target => "meets",
                Some(_) => "MISSES",
                None => "",
            };
            println!(
                "{:<7} {:<name_width$} {:>6} {:>9} {:>9} {:>9} {:>8} {:>9} {:>9} {:>7}  {verdict}",
                row.size,
                row.name,
                row.stats.frames,
                show(row.stats.median),
                show(row.stats.p99),
                show(row.stats.max),
                row.target.map_or_else(String::new, show),
                row.baseline.map_or_else(String::new, |(median, _)| show(median)),
                row.baseline.map_or_else(String::new, |(_, p99)| show(p99)),
                ratio,
            );
        }
    }
}

/// Microseconds as "850 µs" or "12.3 ms".
fn show(micros: f64) -> String {
    if micros < 1_000.0 { format!("{micros:.0} µs") } else { format!("{:.2} ms", micros / 1_000.0) }
}

/// Median, 99th percentile and maximum of samples in microseconds.
#[derive(Debug, Clone, Copy)]
struct Stats {
    frames: usize,
    median: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        let n = samples.len().max(1);
        let at = |index: usize| samples.get(index.min(n - 1)).copied().unwrap_or(0.0);
        Self { frames: samples.len(), median: at(n / 2), p99: at((n * 99).div_ceil(100) - 1), max: at(n - 1) }
    }
}

/// The console on a `TestBackend`, logged in and connected.
#[derive(Debug)]
struct Console {
    app: App,
    terminal: Terminal<TestBackend>,
}

impl Console {
    fn new(width: u16, height: u16, chats: Vec<Chat>) -> Self {
        let mut app = App::new(Options {
            server: "http://127.0.0.1:8080".into(),
            email: Some("ana@bakery.example".into()),
            now: now(),
            theme: Theme::plain(),
        });
        let _ = app.start();
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        let mut console = Self { app, terminal };
        console.feed(Event::Connection(Connection::Connected));
        console.feed(Event::Answer(Answer::Chats { chats, campaigns: campaigns() }));
        console.draw();
        console
    }

    fn feed(&mut self, event: Event) {
        black_box(self.app.handle(event));
    }

    fn key(&mut self, code: KeyCode) {
        self.feed(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn type_search(&mut self, text: &str) {
        self.key(KeyCode::Char('/'));
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn draw(&mut self) {
        let app = &mut self.app;
        black_box(self.terminal.draw(|frame| app.draw(frame)).expect("draws"));
    }

    /// What the runner does with a queue: up to `EVENTS_PER_FRAME` events, a draw,
    /// again until the queue is empty. Returns the frames drawn.
    fn run_until_drained(&mut self, mut queue: VecDeque<Event>) -> usize {
        let mut frames = 0;
        while !queue.is_empty() {
            for event in queue.drain(..EVENTS_PER_FRAME.min(queue.len())) {
                black_box(self.app.handle(event));
            }
            self.draw();
            frames += 1;
        }
        frames
    }

    /// The screen as text, one line per row.
    fn screen(&mut self) -> String {
        self.draw();
        let buffer = self.terminal.backend().buffer();
        let width = usize::from(buffer.area.width);
        let cells: Vec<&str> = buffer.content.iter().map(ratatui::buffer::Cell::symbol).collect();
        cells.chunks(width).map(|row| row.concat().trim_end().to_owned()).collect::<Vec<_>>().join("\n")
    }

    /// The transcript scrolled `page_ups` pages up from the newest message.
    fn scroll_to(&mut self, page_ups: usize) {
        self.key(KeyCode::End);
        for _ in 0..page_ups {
            self.key(KeyCode::PageUp);
        }
        self.draw();
    }

    /// The lowest message number on the screen (each message's text starts `#n`).
    fn first_message_shown(&mut self) -> usize {
        let screen = self.screen();
        screen
            .split('#')
            .skip(1)
            .filter_map(|after| {
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
            .min()
            .unwrap_or(0)
    }

    /// How many `PageUp`s from the newest message bring message `n` to the top: a
    /// binary search, drawing each try.
    fn page_ups_to_show(&mut self, n: usize) -> usize {
        let (mut low, mut high) = (0, MAX_PAGES);
        while low < high {
            let middle = usize::midpoint(low, high);
            self.scroll_to(middle);
            if self.first_message_shown() > n {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }
}

/// A customer's message to a random chat, as a live event.
fn live_message(chats: &[Chat], random: &mut Random, seq: &mut u64) -> Event {
    *seq += 1;
    let chat = &chats[random.below(chats.len())];
    let mut bytes = *b"live000000000000";
    bytes[4..12].copy_from_slice(&seq.to_be_bytes());
    let message = Message {
        id: MessageId::from_custom_bytes(bytes),
        chat_id: chat.id,
        user_id: chat.user_id,
        sender: Sender::Customer,
        text: "is it still available? and how much is the delivery".into(),
        platform_message_id: None,
        sent_at: now(),
        delivery: DeliveryState::Received,
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    };
    Event::Live(Box::new(LiveEvent {
        seq: *seq,
        at: now(),
        event: Live::ChatMessage { chat_id: chat.id, message },
    }))
}

/// A small deterministic generator: the same chats receive the same events each run.
#[derive(Debug)]
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// 25 November 2026, 15:00 UTC, as in the tests.
fn now() -> Timestamp {
    Timestamp::parse("2026-11-25T15:00:00Z").expect("a time")
}

fn minutes_ago(minutes: usize) -> Timestamp {
    now() - Duration::from_secs(60 * minutes as u64)
}

const FIRST_NAMES: [&str; 16] = [
    "Maria", "João", "Ana", "Marco", "Sofia", "Lukas", "Emma", "Noah", "Chloé", "Mateus", "Inês", "Tomás",
    "Olga", "Yusuf", "Léa", "Hamid",
];
const LAST_NAMES: [&str; 12] = [
    "Silva", "Costa", "Müller", "Rossi", "Dubois", "Santos", "Novak", "Kowalski", "Haddad", "Ito", "Berg",
    "Lima",
];
const CAMPAIGNS: [&str; 5] = ["Summer cakes", "Wedding orders", "Bread box", "Gift cards", "Catering"];

fn campaign_id(n: usize) -> CampaignId {
    let mut bytes = *b"campaign00000000";
    bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
    CampaignId::from_custom_bytes(bytes)
}

fn campaigns() -> HashMap<CampaignId, String> {
    CAMPAIGNS.iter().enumerate().map(|(n, name)| (campaign_id(n), (*name).to_owned())).collect()
}

/// 10,000 chats, a minute apart, of every status, mode and lead score.
fn chats() -> Vec<Chat> {
    let user = UserId::from_custom_bytes(*b"owner-ana-000001");
    (0..CHATS)
        .map(|n| {
            let mut bytes = *b"chat000000000000";
            bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
            let score = u8::try_from(n * 37 % 101).unwrap_or(0);
            Chat {
                id: ChatId::from_custom_bytes(bytes),
                user_id: user,
                platform: Platform::Facebook,
                customer_id: format!("psid-{n}"),
                customer_name: format!(
                    "{} {}",
                    FIRST_NAMES[n % FIRST_NAMES.len()],
                    LAST_NAMES[n / FIRST_NAMES.len() % LAST_NAMES.len()]
                ),
                campaign_id: (n % 6 != 5).then(|| campaign_id(n % CAMPAIGNS.len())),
                status: [
                    ChatStatus::Active,
                    ChatStatus::Qualified,
                    ChatStatus::Converted,
                    ChatStatus::Closed,
                ][n % 4],
                mode: if n % 7 == 0 { ChatMode::Human } else { ChatMode::Ai },
                mode_changed_at: None,
                lead: LeadScore {
                    score,
                    reasons: vec![LeadReason { signal: "asked the price".into(), points: 20 }],
                },
                conversion: Conversion::default(),
                handoff_requested: n % 50 == 0,
                flow_step: FlowStep::default(),
                unreachable: false,
                message_count: 12,
                last_customer_message_at: Some(minutes_ago(n)),
                last_activity_at: minutes_ago(n),
                created_at: minutes_ago(n + 60),
                updated_at: minutes_ago(n),
            }
        })
        .collect()
}

/// The transcript's vocabulary: short words and long, so lines break unevenly.
const WORDS: &str = "hello the cake for saturday chocolate with strawberries how much is delivery to \
                     Lisbon please yes we can bake it by noon thanks order";

/// 5,000 messages of `chat`, oldest first, from a word to a few paragraphs long, so
/// that they wrap to one line or many; each text starts `#n` (n from 1) so that the
/// benchmark can tell where the view is.
fn messages(chat: &Chat) -> Vec<Message> {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut random = Random(0x00c0_ffee);
    (1..=MESSAGES)
        .map(|n| {
            let length = match random.below(10) {
                0..=4 => 1 + random.below(8),
                5..=8 => 8 + random.below(40),
                _ => 48 + random.below(150),
            };
            let mut text = format!("#{n}");
            for _ in 0..length {
                text.push(' ');
                text.push_str(words[random.below(words.len())]);
            }
            if n % 97 == 0 {
                text.push_str(" https://bakery.example/orders/confirmation/0123456789abcdef0123456789abcdef");
            }
            let sender = [Sender::Customer, Sender::Ai, Sender::Customer, Sender::Business][n % 4];
            let mut bytes = *b"message000000000";
            bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
            Message {
                id: MessageId::from_custom_bytes(bytes),
                chat_id: chat.id,
                user_id: chat.user_id,
                sender,
                text,
                platform_message_id: None,
                sent_at: minutes_ago((MESSAGES - n) * 3),
                delivery: if sender == Sender::Customer {
                    DeliveryState::Received
                } else {
                    DeliveryState::Read
                },
                error: None,
                quick_replies: Vec::new(),
                attachments: Vec::new(),
            }
        })
        .collect()
}
