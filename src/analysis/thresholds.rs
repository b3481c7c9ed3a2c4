//! Every number the analysis judges an answer by, in one place, each with its source.

// Every number the analysis judges an answer by, in one place. Each cites the line of
// `GUIDE.md` ("Numbers for the deterministic analysis") it comes from, or says that it
// is our own choice where the guide gives none.

/// GUIDE "Length": a good spoken answer is about 200 to 400 words. Below this (and
/// shorter than [`MIN_ANSWER_SECONDS`] when timed) the answer is flagged too short.
pub const MIN_ANSWER_WORDS: usize = 200;
/// GUIDE "Length": about 200 to 400 words; above this the answer is flagged too long.
pub const MAX_ANSWER_WORDS: usize = 400;
/// GUIDE "Length": 1.5 to 3 minutes. A timed answer this long is not "too short" even
/// under [`MIN_ANSWER_WORDS`] (a slow speaker).
pub const MIN_ANSWER_SECONDS: f64 = 90.0;
/// GUIDE "Length": 1.5 to 3 minutes; a timed answer longer than this is too long.
pub const MAX_ANSWER_SECONDS: f64 = 180.0;

/// GUIDE "Pace": under ~110 words per minute is slow.
pub const SLOW_PACE_WPM: f64 = 110.0;
/// GUIDE "Pace": 130-160 words per minute is comfortable (lower bound).
pub const COMFORTABLE_PACE_MIN_WPM: f64 = 130.0;
/// GUIDE "Pace": 130-160 words per minute is comfortable (upper bound).
pub const COMFORTABLE_PACE_MAX_WPM: f64 = 160.0;
/// GUIDE "Pace": over ~180 words per minute is rushed.
pub const RUSHED_PACE_WPM: f64 = 180.0;
/// The pace chart's window: long enough to hold a few sentences, short enough to
/// show where the pace ran away.
pub const PACE_WINDOW_SECONDS: f64 = 20.0;
/// How far the pace chart's window moves each step.
pub const PACE_STEP_SECONDS: f64 = 5.0;
/// Plain text has no timestamps: duration is estimated at this pace (the middle of the
/// GUIDE's comfortable 130-160 band) and the pace is reported as estimated.
pub const ESTIMATED_PACE_WPM: f64 = 150.0;

/// Brief for issue 4: a silence of at least this many seconds between cues or words
/// is a long pause.
pub const LONG_PAUSE_SECONDS: f64 = 2.0;
/// Our choice (no GUIDE number): flag pauses when there are at least this many ...
pub const LONG_PAUSES_FLAG_COUNT: usize = 3;
/// ... or when one pause is at least this long.
pub const LONG_PAUSE_FLAG_SECONDS: f64 = 5.0;

/// GUIDE "STAR balance": Situation + Task about 20-25% (lower bound).
pub const TARGET_SITUATION_TASK_MIN: f64 = 0.20;
/// GUIDE "STAR balance": Situation + Task about 20-25% (upper bound).
pub const TARGET_SITUATION_TASK_MAX: f64 = 0.25;
/// GUIDE "a Situation that eats the answer": flagged when Situation + Task exceed this
/// share (well above the 20-25% target).
pub const SITUATION_HEAVY_SHARE: f64 = 0.40;
/// GUIDE "STAR balance": Action 55-65% (lower bound).
pub const TARGET_ACTION_MIN: f64 = 0.55;
/// GUIDE "STAR balance": Action 55-65% (upper bound).
pub const TARGET_ACTION_MAX: f64 = 0.65;
/// Action below this share is too thin (well under the 55-65% target).
pub const THIN_ACTION_SHARE: f64 = 0.40;
/// GUIDE "STAR balance": Result 15-20% (lower bound).
pub const TARGET_RESULT_MIN: f64 = 0.15;
/// GUIDE "STAR balance": Result 15-20% (upper bound).
pub const TARGET_RESULT_MAX: f64 = 0.20;
/// GUIDE "a token Result": a Result under this share is flagged as token.
pub const TOKEN_RESULT_SHARE: f64 = 0.10;

/// GUIDE "Fillers": fluent speakers use about 1-2 per minute.
pub const FLUENT_FILLERS_PER_MINUTE: f64 = 2.0;
/// GUIDE "Fillers": over ~4 per minute distracts (timed transcripts only: for plain
/// text the minutes are an estimate, so only [`FILLERS_PER_100_WORDS_FLAG`] applies).
pub const FILLERS_PER_MINUTE_FLAG: f64 = 4.0;
/// GUIDE "Fillers": or over 5 per 100 words.
pub const FILLERS_PER_100_WORDS_FLAG: f64 = 5.0;

/// Our choice (the GUIDE lists hedges but gives no rate): flag hedging at this many
/// per 100 words ...
pub const HEDGES_PER_100_WORDS_FLAG: f64 = 2.0;
/// ... and at least this many hedges in all.
pub const MIN_HEDGES_FLAG: usize = 3;

/// GUIDE "Ownership": "we" dominating the Action part is flagged when "we/our/us"
/// outnumber "I/my/me" and occur at least this often (our choice: one or two "we"s
/// are normal when describing a team).
pub const MIN_WE_FOR_FLAG: usize = 3;

/// Sentences longer than this (unpunctuated speech-to-text) are cut at commas and
/// conjunctions before STAR segmentation.
pub const MAX_SENTENCE_WORDS: usize = 45;
