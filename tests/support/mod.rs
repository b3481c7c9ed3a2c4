//! Test servers for the LLM plumbing: the real local SmolLM2 ([`llm_server`]) and a
//! deliberately fake one for failure injection ([`fake_llm`]); the real Qdrant server
//! ([`qdrant_server`]). Include with `mod support;`.
#![allow(dead_code)]

pub mod browser;
pub mod fake_llm;
pub mod llm_server;
pub mod qdrant_server;
