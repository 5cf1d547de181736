//! The Dashboard screen through the whole console: loading, figures at 80×24 and
//! 120×40, a failed reload over figures, a business with nothing yet, a live reload,
//! and sizes down to nothing.

mod harness;

use chrono::NaiveDate;
use closer_core::analytics::{Comparison, DailyPoint, Period, Summary};
use closer_core::events::Event as Live;
use closer_core::model::{Metrics, Platform};
use closer_tui::{Answer, Connection, Dashboard, Event, Failure, Request};
use crossterm::event::KeyCode;
use harness::{Console, live, now};

/// Conversations started on each of the last 30 days, 27 October to 25 November;
/// today's 20 is the last.
const DAYS: [i64; 30] = [
    12, 15, 9, 0, 18, 22, 17, 14, 11, 19, 25, 21, 16, 13, 20, 24, 18, 15, 12, 23, 27, 22, 19, 17, 21, 26, 20,
    18, 25, 20,
];

/// Messages received today by hour: 2 at 06:00 up to 18 at 15:00 (now), 125 in all,
/// the most (20) at 11:00.
const HOURS: [(usize, i64); 10] =
    [(6, 2), (7, 3), (8, 8), (9, 12), (10, 15), (11, 20), (12, 14), (13, 16), (14, 17), (15, 18)];

fn today() -> NaiveDate {
    now().date()
}

fn comparison(period: Period, current: Metrics, previous: Metrics) -> Comparison {
    Comparison {
        current: Summary::from_totals(period, current),
        previous: Summary::from_totals(period.previous(), previous),
    }
}

/// A bakery's figures whose every change can be worked out by hand:
///
/// | today vs yesterday     |         | last 7 days vs the 7 before |           |
/// |------------------------|---------|-----------------------------|-----------|
/// | messages received      | 125/100 | +25%    | 700/875           | −20%      |
/// | conversations started  | 20/25   | −20%    | 147/136           | +8%       |
/// | leads                  | 8/0     | —       | 50/40             | +25%      |
/// | sales                  | 5/4     | +25%    | 30/20             | +50%      |
/// | conversion rate        | 25%/16% | +9 pts  | 20%/15%           | +6 pts    |
/// | revenue                | 1,234.50/1,000.00 | +23% | 12,500.00/10,000.00 | +25% |
/// | response rate          | 96%/90% | +6 pts  | 90%/80%           | +10 pts   |
fn bakery() -> Dashboard {
    let started_in = |days: std::ops::Range<usize>| DAYS[days].iter().sum::<i64>();
    let day = comparison(
        Period::day(today()),
        Metrics {
            messages_received: 125,
            messages_answered: 120,
            messages_sent: 130,
            conversations_started: DAYS[29],
            leads: 8,
            conversions: 5,
            revenue_minor: 123_450,
        },
        Metrics {
            messages_received: 100,
            messages_answered: 90,
            messages_sent: 95,
            conversations_started: DAYS[28],
            leads: 0,
            conversions: 4,
            revenue_minor: 100_000,
        },
    );
    let week = comparison(
        Period::last_days(today(), 7).expect("a week"),
        Metrics {
            messages_received: 700,
            messages_answered: 630,
            messages_sent: 720,
            conversations_started: started_in(23..30),
            leads: 50,
            conversions: 30,
            revenue_minor: 1_250_000,
        },
        Metrics {
            messages_received: 875,
            messages_answered: 700,
            messages_sent: 900,
            conversations_started: started_in(16..23),
            leads: 40,
            conversions: 20,
            revenue_minor: 1_000_000,
        },
    );
    let mut hours = vec![Metrics::default(); 24];
    for (hour, received) in HOURS {
        hours[hour] = Metrics { messages_received: received, ..Metrics::default() };
    }
    let days = DAYS
        .iter()
        .enumerate()
        .map(|(back, &started)| DailyPoint {
            date: today() - chrono::Days::new(29 - back as u64),
            metrics: Metrics { conversations_started: started, ..Metrics::default() },
        })
        .collect();
    Dashboard { today: day, week, hours, days }
}

/// A business that signed up today: nothing counted anywhere.
fn new_business() -> Dashboard {
    let nothing = Metrics::default();
    Dashboard {
        today: comparison(Period::day(today()), nothing, nothing),
        week: comparison(Period::last_days(today(), 7).expect("a week"), nothing, nothing),
        hours: vec![nothing; 24],
        days: (0..30)
            .map(|back| DailyPoint { date: today() - chrono::Days::new(29 - back), metrics: nothing })
            .collect(),
    }
}

/// Ana, logged in and connected, on the Dashboard tab.
fn on_the_dashboard(width: u16, height: u16) -> Console {
    let mut console = Console::new(width, height, Some("ana@bakery.example"));
    console.feed(Event::Connection(Connection::Connected));
    console.key(KeyCode::Char('1'));
    console
}

fn figures(console: &mut Console, figures: Dashboard) {
    console.feed(Event::Answer(Answer::Dashboard(Box::new(figures))));
}

fn refused(console: &mut Console, why: &str) {
    console.feed(Event::Answer(Answer::Failed {
        request: Request::LoadDashboard { today: today() },
        error: Failure::Refused(why.to_owned()),
    }));
}

/// The cells of the table's row for `label`, as drawn: `["125", "+25%", "700", "−20%"]`.
fn row(screen: &str, label: &str) -> Vec<String> {
    let line = screen
        .lines()
        .find_map(|line| line.trim_start_matches(['│', ' ']).strip_prefix(label))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{screen}"));
    line.split_whitespace().filter(|cell| *cell != "│").map(str::to_owned).collect()
}

#[test]
fn loading_before_the_first_figures() {
    let mut console = on_the_dashboard(80, 24);
    assert!(console.requests.contains(&Request::LoadDashboard { today: today() }));
    let screen = console.screen();
    assert!(screen.contains("loading the numbers …"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn figures_at_80_by_24() {
    let mut console = on_the_dashboard(80, 24);
    figures(&mut console, bakery());
    let screen = console.screen();
    assert!(screen.contains("Dashboard · Wed 25 Nov 2026 (UTC)"), "{screen}");
    assert_eq!(row(&screen, "messages received"), ["125", "+25%", "700", "−20%"]);
    assert_eq!(row(&screen, "conversations started"), ["20", "−20%", "147", "+8%"]);
    assert_eq!(row(&screen, "leads"), ["8", "—", "50", "+25%"]);
    assert_eq!(row(&screen, "sales"), ["5", "+25%", "30", "+50%"]);
    assert_eq!(row(&screen, "conversion rate"), ["25%", "+9", "pts", "20%", "+6", "pts"]);
    assert_eq!(row(&screen, "revenue"), ["1,234.50", "+23%", "12,500.00", "+25%"]);
    assert_eq!(row(&screen, "response rate"), ["96%", "+6", "pts", "90%", "+10", "pts"]);
    assert!(screen.contains("busiest 11:00, 20 messages"), "{screen}");
    let caption = format!("the last 30 days, 27 Oct – 25 Nov · {} in all", DAYS.iter().sum::<i64>());
    assert!(screen.contains(&caption), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn figures_at_120_by_40() {
    let mut console = on_the_dashboard(120, 40);
    figures(&mut console, bakery());
    let screen = console.screen();
    assert_eq!(row(&screen, "revenue"), ["1,234.50", "+23%", "12,500.00", "+25%"]);
    // Wide enough for each hour and each day to carry its label.
    assert!(screen.contains("00  01  02"), "{screen}");
    assert!(screen.contains("27 28 29 30 31 01 02"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_failed_reload_keeps_the_figures_of_before() {
    let mut console = on_the_dashboard(80, 24);
    figures(&mut console, bakery());
    refused(&mut console, "closerd is restarting");
    let screen = console.screen();
    assert!(screen.contains("loading the numbers: closerd is restarting"), "{screen}");
    assert!(screen.contains("Ctrl-R tries again"), "{screen}");
    assert_eq!(row(&screen, "messages received"), ["125", "+25%", "700", "−20%"]);
    insta::assert_snapshot!(screen);

    // The next figures clear the error.
    figures(&mut console, bakery());
    let screen = console.screen();
    assert!(!screen.contains("Ctrl-R tries again"), "{screen}");
}

#[test]
fn a_failed_first_load_says_why() {
    let mut console = on_the_dashboard(80, 24);
    refused(&mut console, "closerd is restarting");
    let screen = console.screen();
    assert!(screen.contains("loading the numbers: closerd is restarting · Ctrl-R tries again"), "{screen}");
    assert!(!screen.contains("loading the numbers …"), "{screen}");
    assert!(!screen.contains("messages received"), "{screen}");
}

#[test]
fn a_new_business_gets_a_hint_and_the_table() {
    let mut console = on_the_dashboard(80, 24);
    figures(&mut console, new_business());
    let screen = console.screen();
    assert!(screen.contains("No messages yet."), "{screen}");
    assert_eq!(row(&screen, "messages received"), ["0", "—", "0", "—"]);
    assert_eq!(row(&screen, "conversion rate"), ["—", "—", "—", "—"]);
    assert_eq!(row(&screen, "revenue"), ["0.00", "—", "0.00", "—"]);
    assert!(!screen.contains("by UTC hour"), "no empty charts:\n{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn counted_messages_reload_the_figures() {
    let mut console = on_the_dashboard(80, 24);
    figures(&mut console, bakery());
    console.take_requests();
    console.feed(live(
        1,
        Live::AnalyticsUpdated {
            campaign_id: None,
            platform: Platform::Facebook,
            date: today(),
            hour: 15,
            increment: Metrics { messages_received: 1, ..Metrics::default() },
        },
    ));
    console.feed(Event::Tick(now()));
    assert_eq!(console.take_requests(), [Request::LoadDashboard { today: today() }]);

    let mut more = bakery();
    more.today.current = Summary::from_totals(
        more.today.current.period,
        Metrics { messages_received: 126, ..more.today.current.totals },
    );
    figures(&mut console, more);
    let screen = console.screen();
    assert_eq!(row(&screen, "messages received")[..2], ["126", "+26%"]);
}

#[test]
fn every_size_draws_without_a_panic() {
    let sizes = [
        (80, 24),
        (20, 5),
        (80, 0),
        (0, 24),
        (0, 0),
        (1, 1),
        (10, 3),
        (40, 10),
        (59, 14),
        (80, 12),
        (250, 70),
    ];
    let mut console = on_the_dashboard(80, 24);
    let states: [fn(&mut Console); 4] = [
        |_| {},
        |console| refused(console, "closerd cannot be reached at http://127.0.0.1:8080 (connection refused)"),
        |console| figures(console, bakery()),
        |console| figures(console, new_business()),
    ];
    for state in states {
        state(&mut console);
        for (width, height) in sizes {
            draw(&mut console, width, height);
        }
    }
    // With an error over figures too.
    refused(&mut console, "closerd is restarting");
    for (width, height) in sizes {
        draw(&mut console, width, height);
    }
}

/// Draws at `width` × `height`, as after a resize. Not through `Console::screen`, which
/// cannot cut a zero-width screen into rows.
fn draw(console: &mut Console, width: u16, height: u16) {
    console.terminal.backend_mut().resize(width, height);
    let app = &mut console.app;
    console.terminal.draw(|frame| app.draw(frame)).expect("draws");
}
