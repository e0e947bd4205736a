//! A browser's view of the pages, over real HTTP: cookies kept, redirects not followed (tests
//! look at them), CSRF tokens read from the pages' forms.

use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::StatusCode;

pub struct Browser {
    base: String,
    client: reqwest::Client,
    /// Cookies as a browser keeps them, by name.
    cookies: std::collections::BTreeMap<String, String>,
    /// Sent as `Origin` on every POST, as browsers do.
    origin: String,
}

#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let end = self.body[at..].find('"')?;
        Some(self.body[at..at + end].to_owned())
    }
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("HTTP client"),
            cookies: Default::default(),
            origin: base.to_owned(),
        }
    }

    /// A browser already signed in with a session cookie.
    pub fn signed_in(base: &str, session: &str) -> Self {
        let mut browser = Self::new(base);
        browser.set_cookie("agora_session", session);
        browser
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Pretends the requests come from another site's page.
    pub fn with_origin(mut self, origin: &str) -> Self {
        self.origin = origin.to_owned();
        self
    }

    fn cookie_header(&self) -> Option<HeaderValue> {
        if self.cookies.is_empty() {
            return None;
        }
        let line = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        HeaderValue::from_str(&line).ok()
    }

    async fn finish(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match self.cookie_header() {
            Some(cookies) => request.header(COOKIE, cookies),
            None => request,
        };
        let response = request.send().await.expect("HTTP request");
        for value in response.headers().get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let removed = text.to_ascii_lowercase().contains("max-age=0");
                if value.is_empty() || removed {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.finish(request).await
    }

    /// Posts a form as the browser would: with its `Origin`, without adding a CSRF token.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.origin)
            .form(fields);
        self.finish(request).await
    }

    /// Posts a form with the CSRF token a page of ours gives this browser.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut with_token: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        with_token.extend_from_slice(fields);
        self.post_raw(path, &with_token).await
    }

    /// The CSRF token for this browser, from the sign-in page (which has a form whether or not
    /// one is signed in: the language or sign-out form).
    pub async fn csrf_token(&mut self) -> String {
        let page = self.get("/login").await;
        if let Some(token) = page.csrf() {
            return token;
        }
        // Signed in: the sign-in page redirects; the account page has forms.
        self.get("/account")
            .await
            .csrf()
            .expect("a page with a form")
    }

    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.origin)
            .json(body);
        self.finish(request).await
    }
}
