//! Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama,
//! vLLM, text-embeddings-inference, another `starcoach serve`), through async-openai.

// Texts go in batches of `[embedding] batch_size`, each request limited by
// `[embedding.openai] timeout_secs` and retried once after a transient failure (HTTP 5xx
// or 429, no connection), as the LLM client does. Questions and stored texts get the
// configured prefixes (the model's prompts). The dimension is learnt when the embedder
// opens, from one small request, so a wrong URL, model or key stops start-up with its
// reason. Vectors are L2-normalised here, whatever the endpoint sends.

use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::embeddings::{CreateEmbeddingRequest, EmbeddingInput, EncodingFormat};
use async_trait::async_trait;

use super::{EmbedError, Embedder, TextRole};
use crate::config::OpenAiEmbeddingSettings;

/// Pause before the one retry of a transient failure.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// An embedder behind an OpenAI-compatible endpoint.
pub struct OpenAiEmbedder {
    client: async_openai::Client<OpenAIConfig>,
    base_url: String,
    model: String,
    /// `openai:<model>` (with `@<dimensions>` when truncated), recorded by the store.
    model_id: String,
    dimension: usize,
    /// Sent as the request's `dimensions` (0: not sent).
    requested_dimensions: usize,
    timeout: Duration,
    batch_size: usize,
    query_prefix: String,
    document_prefix: String,
}

impl std::fmt::Debug for OpenAiEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiEmbedder")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("dimension", &self.dimension)
            .finish_non_exhaustive()
    }
}

impl OpenAiEmbedder {
    /// Connect to the endpoint `settings` describe and learn the model's dimension.
    pub async fn connect(
        settings: &OpenAiEmbeddingSettings,
        batch_size: usize,
        dimensions: usize,
    ) -> Result<Self, EmbedError> {
        let base_url = settings.base_url.trim().trim_end_matches('/').to_string();
        let key = settings.api_key.expose();
        if !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(EmbedError::Remote {
                url: base_url,
                reason: "[embedding.openai] api_key contains spaces or non-printable characters"
                    .into(),
            });
        }
        // Everything explicit: OpenAIConfig::new() would send OPENAI_* variables from the
        // environment to whatever endpoint is configured.
        let config = OpenAIConfig::new()
            .with_api_base(base_url.clone())
            .with_api_key(key)
            .with_org_id("")
            .with_project_id("");
        let model = settings.model.trim().to_string();
        let mut embedder = Self {
            // A bare transport: the one retry is ours, under our timeout.
            client: async_openai::Client::with_config(config)
                .with_http_service(ReqwestService::default()),
            model_id: match dimensions {
                0 => format!("openai:{model}"),
                d => format!("openai:{model}@{d}"),
            },
            base_url,
            model,
            dimension: 0,
            requested_dimensions: dimensions,
            timeout: Duration::from_secs(settings.timeout_secs.max(1)),
            batch_size: batch_size.max(1),
            query_prefix: settings.query_prefix.clone(),
            document_prefix: settings.document_prefix.clone(),
        };
        let probe = embedder.request(vec!["dimension probe".into()]).await?;
        embedder.dimension = probe.first().map_or(0, Vec::len);
        if embedder.dimension == 0 {
            return Err(embedder.error("it returned an empty vector"));
        }
        tracing::info!(url = %embedder.base_url, model = %embedder.model, dimension = embedder.dimension, "remote embedder ready");
        Ok(embedder)
    }

    fn error(&self, reason: impl Into<String>) -> EmbedError {
        EmbedError::Remote {
            url: self.base_url.clone(),
            reason: reason.into(),
        }
    }

    /// One batch, retried once after a transient failure.
    async fn request(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut retried = false;
        loop {
            match self.attempt(texts.clone()).await {
                Ok(vectors) => return Ok(vectors),
                Err((error, transient)) if transient && !retried => {
                    tracing::warn!(%error, "embedding request failed; retrying once");
                    retried = true;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    async fn attempt(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, (EmbedError, bool)> {
        let count = texts.len();
        let request = CreateEmbeddingRequest {
            model: self.model.clone(),
            input: EmbeddingInput::StringArray(texts),
            encoding_format: Some(EncodingFormat::Float),
            user: None,
            dimensions: (self.requested_dimensions > 0).then_some(self.requested_dimensions as u32),
        };
        let sent =
            tokio::time::timeout(self.timeout, self.client.embeddings().create(request)).await;
        let response = match sent {
            Err(_) => {
                let reason = format!("no answer within {:.0} s", self.timeout.as_secs_f64());
                return Err((self.error(reason), true));
            }
            Ok(Err(e)) => return Err(self.classify(e)),
            Ok(Ok(response)) => response,
        };
        if response.data.len() != count {
            let reason = format!("{} vectors for {count} texts", response.data.len());
            return Err((self.error(reason), false));
        }
        let mut vectors = vec![Vec::new(); count];
        for item in response.data {
            let slot = vectors.get_mut(item.index as usize).ok_or_else(|| {
                (
                    self.error(format!("a vector with index {}", item.index)),
                    false,
                )
            })?;
            *slot = item.embedding;
        }
        for vector in &mut vectors {
            if self.dimension != 0 && vector.len() != self.dimension {
                let reason = format!(
                    "a {}-dimensional vector, not {}",
                    vector.len(),
                    self.dimension
                );
                return Err((self.error(reason), false));
            }
            crate::vector::normalise(vector);
        }
        Ok(vectors)
    }

    /// The error and whether it is worth one retry.
    fn classify(&self, error: OpenAIError) -> (EmbedError, bool) {
        match error {
            OpenAIError::Reqwest(e) => (self.error(format!("the request failed ({e})")), true),
            OpenAIError::ApiError(api) => {
                let status = api.status_code.as_u16();
                let hint = match status {
                    401 | 403 => " (check [embedding.openai] api_key)",
                    404 => " (does [embedding.openai] base_url end in /v1, and does it serve [embedding.openai] model?)",
                    _ => "",
                };
                let reason = format!("HTTP {status}: {}{hint}", api.api_error.message.trim());
                (self.error(reason), status >= 500 || status == 429)
            }
            other => (self.error(other.to_string()), false),
        }
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }

    #[tracing::instrument(skip_all, fields(texts = texts.len(), ?role))]
    async fn embed(&self, texts: Vec<String>, role: TextRole) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefix = match role {
            TextRole::Query => self.query_prefix.as_str(),
            TextRole::Document => self.document_prefix.as_str(),
            TextRole::Plain => "",
        };
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch_size) {
            let prefixed = batch.iter().map(|t| format!("{prefix}{t}")).collect();
            vectors.extend(self.request(prefixed).await?);
        }
        Ok(vectors)
    }
}
