//! `starcoach practice`: a mock interview in the terminal (answers typed, ended by a
//! line holding only "."), or from answer files (`--answers DIR`) for scripts.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use starcoach::app::Coach;
use starcoach::critique::TranscriptInput;
use starcoach::practice::{AnswerInput, AnswerOutcome, PracticeError, SessionView, StartSession};

/// Start or resume a session and run it to its end, or until the answers (or the
/// user) stop.
pub async fn run(
    coach: &Coach,
    user: &str,
    start: StartSession,
    resume: Option<String>,
    answers: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let view = match &resume {
        Some(id) => match starcoach::practice::get(coach, user, id).await {
            Ok(session) => SessionView::of(session),
            Err(PracticeError::NotFound) => {
                eprintln!("error: --resume: no practice session {id} for user '{user}'");
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e.into()),
        },
        None => match starcoach::practice::start(coach, user, &start).await {
            Ok(view) => view,
            Err(PracticeError::Invalid { field, message }) => {
                eprintln!("error: --{field}: {message}");
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e.into()),
        },
    };
    let id = view.session.id.clone();
    if !json {
        println!(
            "Practice session {id} ({} questions). Resume it later with: starcoach practice --resume {id}\n",
            view.session.questions.len()
        );
    }
    let mut source: Box<dyn AnswerSource> = match &answers {
        Some(dir) => Box::new(FileAnswers::read(dir)?),
        None => Box::new(Terminal),
    };
    let mut outcomes: Vec<AnswerOutcome> = Vec::new();
    let mut asked = view.question.clone();
    while let Some(question) = asked {
        if !json {
            print!("{}", starcoach::render::asked(&question));
        }
        let input = match source.next(question.follow_up)? {
            Next::Answer(text) => AnswerInput {
                transcript: Some(TranscriptInput::Text(text)),
                format: None,
                skip: false,
            },
            Next::Skip => AnswerInput {
                skip: true,
                ..AnswerInput::default()
            },
            Next::Quit => {
                if !json {
                    println!("\nSession saved. Resume it with: starcoach practice --resume {id}");
                }
                break;
            }
        };
        let outcome = match starcoach::practice::answer(coach, user, &id, input, false).await {
            Ok(outcome) => outcome,
            Err(PracticeError::Critique(e)) => {
                // A transcript that cannot be read: say why and ask again.
                eprintln!("That answer could not be read: {e}");
                if answers.is_some() {
                    return Ok(ExitCode::from(2));
                }
                asked = Some(question);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if !json {
            print!("{}", starcoach::render::answer_outcome(&outcome));
            println!();
        }
        asked = outcome.next.clone();
        outcomes.push(outcome);
    }
    if json {
        let session = starcoach::practice::get(coach, user, &id).await?;
        let report = serde_json::json!({
            "session": SessionView::of(session),
            "outcomes": outcomes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// What the user gives next.
enum Next {
    Answer(String),
    Skip,
    Quit,
}

trait AnswerSource {
    /// The answer to the awaited question (`follow_up`: it is a follow-up).
    fn next(&mut self, follow_up: bool) -> anyhow::Result<Next>;
}

/// Answers typed in the terminal.
struct Terminal;

impl AnswerSource for Terminal {
    fn next(&mut self, _follow_up: bool) -> anyhow::Result<Next> {
        println!("(answer, then a line with only \".\"; \":skip\" skips, \":quit\" stops)");
        std::io::stdout().flush()?;
        let mut lines = Vec::new();
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            match line.trim() {
                "." => break,
                ":skip" if lines.is_empty() => return Ok(Next::Skip),
                ":quit" if lines.is_empty() => return Ok(Next::Quit),
                _ => lines.push(line),
            }
        }
        let text = lines.join("\n");
        // End of input with nothing typed: stop (the session is saved).
        Ok(if text.trim().is_empty() {
            Next::Quit
        } else {
            Next::Answer(text)
        })
    }
}

/// Answers read from files, in name order.
struct FileAnswers {
    files: std::collections::VecDeque<PathBuf>,
}

impl FileAnswers {
    fn read(dir: &Path) -> anyhow::Result<Self> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("--answers {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        // `01.txt`, `01-follow.txt`, `02.txt`: a question's follow-up after it.
        files.sort_by_key(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let prefix: String = name.chars().take_while(|c| c.is_alphanumeric()).collect();
            (prefix, Self::is_follow_up(p), name)
        });
        Ok(Self {
            files: files.into(),
        })
    }

    fn is_follow_up(path: &Path) -> bool {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.to_lowercase().contains("follow"))
    }
}

impl AnswerSource for FileAnswers {
    fn next(&mut self, follow_up: bool) -> anyhow::Result<Next> {
        let wanted = |p: &PathBuf| FileAnswers::is_follow_up(p) == follow_up;
        match self.files.front() {
            Some(front) if wanted(front) => {
                let path = self.files.pop_front().expect("a front file");
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("--answers {}: {e}", path.display()))?;
                Ok(Next::Answer(text))
            }
            // A follow-up without its file is skipped; a question without one stops.
            _ if follow_up => Ok(Next::Skip),
            _ => Ok(Next::Quit),
        }
    }
}
