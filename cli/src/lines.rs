//! Lines typed or piped on stdin, for the conversations (`closer leo`, `closer
//! simulate`): a prompt on stderr when a person types, none when a script pipes.
//!
//! A thread of its own reads stdin, because a blocking read cannot be cancelled:
//! read on the runtime, a conversation that ends for another reason (the server went
//! away) would wait for one more Enter before the process could exit. The thread is
//! simply left behind at exit.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};

use tokio::sync::mpsc;

use crate::error::{CliError, Result};

#[derive(Debug)]
pub struct Lines {
    received: mpsc::Receiver<io::Result<String>>,
    /// `Some` when stdin is a terminal: what to print before each line is read.
    prompt: Option<&'static str>,
    /// The prompt is on the screen and nothing was printed after it.
    prompted: bool,
}

impl Lines {
    pub fn stdin(prompt: &'static str) -> Self {
        let terminal = io::stdin().is_terminal();
        // One line ahead at most: what is typed is read when it is asked for.
        let (sender, received) = mpsc::channel(1);
        std::thread::spawn(move || {
            for line in io::stdin().lock().lines() {
                if sender.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        Self { received, prompt: terminal.then_some(prompt), prompted: false }
    }

    /// A person is typing (stdin is a terminal).
    pub fn interactive(&self) -> bool {
        self.prompt.is_some()
    }

    /// Shows the prompt, unless it is already the last thing on the screen.
    pub fn prompt(&mut self) {
        if let Some(prompt) = self.prompt.filter(|_| !self.prompted) {
            let mut stderr = io::stderr();
            let _ = write!(stderr, "{prompt}");
            let _ = stderr.flush();
            self.prompted = true;
        }
    }

    /// Something was printed: the next [`Lines::prompt`] shows the prompt again. On a
    /// terminal, whatever interrupts the prompt starts on a line of its own.
    pub fn interrupted(&mut self) {
        if self.prompted {
            eprintln!();
        }
        self.prompted = false;
    }

    /// The next line without its line end, or `None` at the end of stdin.
    /// Cancellation-safe (a `select!` branch).
    pub async fn next(&mut self) -> Result<Option<String>> {
        let line = self.received.recv().await;
        self.prompted = false;
        match line {
            None => {
                if self.interactive() {
                    eprintln!(); // Ctrl-D leaves the cursor after the prompt
                }
                Ok(None)
            }
            Some(Ok(mut line)) => {
                if line.ends_with('\r') {
                    line.pop();
                }
                Ok(Some(line))
            }
            Some(Err(error)) => Err(CliError::Usage(format!("cannot read stdin: {error}"))),
        }
    }
}
