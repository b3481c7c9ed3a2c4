//! starcoach: an interview coach over a person's own STAR stories.

// The data flows one way: files -> [`corpus`] -> [`chunk`] -> [`embed`] -> [`store`]
// ([`ingest`] drives it incrementally); a question -> [`embed`] -> [`store`] ->
// [`retrieve`] ranks stories. [`app::Coach`] wires the parts from [`config`]; the CLI
// (`src/main.rs`) and the HTTP API ([`http`]) call the same functions and return the
// same JSON.

pub mod analysis;
pub mod app;
pub mod chat;
pub mod chunk;
pub mod competency;
pub mod config;
pub mod corpus;
pub mod coverage;
pub mod critique;
pub mod embed;
pub mod eval;
pub mod history;
pub mod http;
pub mod ingest;
pub mod llm;
pub mod practice;
pub mod prep;
pub mod reindex;
pub mod render;
pub mod retrieve;
pub mod store;
pub mod stories;
pub mod tagging;
pub mod telemetry;
pub mod text;
pub mod vector;
pub mod web;
