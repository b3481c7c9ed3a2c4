//! The web page's files: one HTML file, its script and style sheet, and the vendored
//! chart library (uPlot, from the npm registry, see `scripts/vendor-web.sh`), all
//! compiled into the binary. `crate::http` serves them at `/` and `/assets/...`.
//!
//! The page holds no data of its own: everything it shows comes from the `/v1` API
//! with the caller's key. Its content security policy keeps it to its own origin (no
//! script, style, font or request elsewhere).

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const INDEX: Asset = Asset {
    name: "index.html",
    content_type: INDEX_CONTENT_TYPE,
    body: include_bytes!("assets/index.html"),
};

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// A file of `assets/` by its name there.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("assets/", $name)),
        }
    };
}

/// Everything under `/assets/`.
const ASSETS: &[Asset] = &[
    asset!("app.js", JAVASCRIPT),
    asset!("app.css", CSS),
    asset!("vendor/uPlot.iife.min.js", JAVASCRIPT),
    asset!("vendor/uPlot.min.css", CSS),
    asset!("vendor/uPlot.LICENSE", TEXT),
];

/// The page's own origin only; uPlot sets inline styles on the elements it draws.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Bytes the page adds to the binary.
pub fn embedded_bytes() -> usize {
    INDEX.body.len() + ASSETS.iter().map(|a| a.body.len()).sum::<usize>()
}

/// The page. With API keys configured it asks for one before its first request.
pub fn index(keys_required: bool) -> Vec<u8> {
    let html = std::str::from_utf8(INDEX.body).unwrap_or_default();
    if keys_required {
        html.replacen(r#"data-auth="none""#, r#"data-auth="bearer""#, 1)
            .into_bytes()
    } else {
        html.as_bytes().to_vec()
    }
}

/// The content type of the page.
pub const INDEX_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// A file under `/assets/`.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_embedded() {
        let page = std::str::from_utf8(INDEX.body).unwrap();
        let named: Vec<&str> = page
            .split("/assets/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or(""))
            .collect();
        assert!(named.len() >= 3, "{named:?}");
        for name in named {
            assert!(ASSETS.iter().any(|a| a.name == name), "{name} not embedded");
        }
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(embedded_bytes() > 50_000);
        let keyed = String::from_utf8(index(true)).unwrap();
        assert!(keyed.contains(r#"data-auth="bearer""#));
        assert!(String::from_utf8(index(false))
            .unwrap()
            .contains(r#"data-auth="none""#));
    }
}
