//! The OpenAI-compatible chat endpoint driven by a real OpenAI client library
//! (async-openai) against a running server (port 0), streaming included, with the real
//! local SmolLM2 server as the coach's LLM for free-form chat.

mod common;
mod support;

use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestUserMessage, CreateChatCompletionRequest,
};
use async_openai::Client;
use futures::StreamExt;
use starcoach::http::{hash_key, ApiKeyEntry};
use support::llm_server::LlmServer;

const KEY: &str = "dana-chat-key";

async fn spawn(llm: &str) -> (Client<OpenAIConfig>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let llm = llm.to_string();
    let coach = common::coach_with(&tmp.path().join("store"), move |s| {
        s.server.api_keys = vec![ApiKeyEntry {
            user: "dana".into(),
            key_sha256: hash_key(KEY),
        }];
        s.server.request_timeout_secs = 120;
        s.llm.base_url = llm;
        s.llm.max_tokens = 96;
        s.llm.context_tokens = 4096;
        s.llm.timeout_secs = 100;
    });
    common::ingest_corpus(&coach, "dana").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(starcoach::http::serve_on(coach, listener));
    let config = OpenAIConfig::new()
        .with_api_base(format!("http://{addr}/v1"))
        .with_api_key(KEY);
    (Client::with_config(config), tmp)
}

fn request(text: &str, stream: bool) -> CreateChatCompletionRequest {
    CreateChatCompletionRequest {
        model: "starcoach".into(),
        messages: vec![ChatCompletionRequestMessage::User(
            ChatCompletionRequestUserMessage::from(text),
        )],
        stream: Some(stream),
        ..Default::default()
    }
}

async fn streamed(client: &Client<OpenAIConfig>, text: &str) -> (String, Option<String>, usize) {
    let mut stream = client
        .chat()
        .create_stream(request(text, true))
        .await
        .unwrap();
    let (mut answer, mut finish, mut chunks) = (String::new(), None, 0);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap_or_else(|e| panic!("bad chunk: {e}"));
        assert_eq!(chunk.object, "chat.completion.chunk");
        chunks += 1;
        for choice in chunk.choices {
            if let Some(c) = choice.delta.content {
                answer.push_str(&c);
            }
            if let Some(f) = choice.finish_reason {
                finish = Some(format!("{f:?}"));
            }
        }
    }
    (answer, finish, chunks)
}

#[tokio::test]
async fn a_real_openai_client_lists_models_and_chats_with_and_without_streaming() {
    let (client, _tmp) = spawn(&LlmServer::shared().base_url()).await;
    let models = client.models().list().await.unwrap();
    assert_eq!(models.data[0].id, "starcoach");

    // "Which story" is answered from the bank, deterministically.
    let question =
        "Which story should I use for \"Tell me about a time you disagreed with your manager\"?";
    let response = client
        .chat()
        .create(request(question, false))
        .await
        .unwrap();
    let text = response.choices[0].message.content.clone().unwrap();
    assert!(
        text.contains("Pushing back on the Argo CD migration deadline"),
        "{text}"
    );
    assert!(response.usage.unwrap().completion_tokens > 10);
    let (streamed_text, finish, chunks) = streamed(&client, question).await;
    assert_eq!(streamed_text, text, "the stream carries the same answer");
    assert_eq!(finish.as_deref(), Some("Stop"));
    assert!(chunks > 3);

    // A pasted answer gets the critique (streamed).
    let answer = format!(
        "Question: Tell me about a time you had a conflict with a coworker\n{}",
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/critique/priya_conflict.txt")
        )
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("Interviewer:"))
        .collect::<Vec<_>>()
        .join("\n")
    );
    let (critique, _, _) = streamed(&client, &answer).await;
    assert!(
        critique.contains("Scores (1-5, 3 = competent)") && critique.contains("Three changes"),
        "{critique}"
    );

    // Anything else goes to the configured LLM (SmolLM2), streamed and not.
    let chat = "How should I prepare the night before an interview?";
    let response = client.chat().create(request(chat, false)).await.unwrap();
    let text = response.choices[0].message.content.clone().unwrap();
    assert!(
        !text.trim().is_empty() && !text.contains("No LLM is configured"),
        "{text}"
    );
    let (streamed_chat, finish, chunks) = streamed(&client, chat).await;
    assert!(
        !streamed_chat.trim().is_empty() && chunks > 3,
        "{streamed_chat}"
    );
    assert_eq!(finish.as_deref(), Some("Stop"));
}

#[tokio::test]
async fn without_an_llm_chat_still_matches_and_says_what_it_can_do() {
    let (client, _tmp) = spawn("").await;
    let response = client
        .chat()
        .create(request("Tell me about a time you mentored someone", false))
        .await
        .unwrap();
    let text = response.choices[0].message.content.clone().unwrap();
    assert!(text.contains("Mentoring Tomás"), "{text}");
    let response = client
        .chat()
        .create(request("hello there", false))
        .await
        .unwrap();
    let text = response.choices[0].message.content.clone().unwrap();
    assert!(text.contains("No LLM is configured"), "{text}");
    // A bad request is refused with the field named.
    let err = client
        .chat()
        .create(CreateChatCompletionRequest {
            model: "starcoach".into(),
            messages: vec![],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("messages"), "{err}");
}
