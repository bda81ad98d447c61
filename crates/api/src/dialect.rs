//! What the edge knows of a vendor dialect: whether a request is its, how
//! to serve it, and how to refuse one the edge could not read. Everything
//! else (signatures, the typed actions of each product, the engine calls,
//! the envelope) is the dialect's own.

use crate::limits::LimitError;
use crate::request::{RawRequest, Response};
use std::future::Future;
use std::pin::Pin;

/// How strongly a dialect claims a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// Not this dialect's.
    No,
    /// This dialect's if no other claims it outright (Tencent takes any
    /// other form request: its errors explain what is missing).
    Fallback,
    /// Marked as this dialect's (a path, header or signature only it uses).
    Certain,
}

impl Claim {
    /// `Certain` if `marked`, else `No`.
    pub fn certain_if(marked: bool) -> Self {
        if marked {
            Self::Certain
        } else {
            Self::No
        }
    }
}

/// What is known of a request when it is recognised: its head, and its
/// body once read (empty before, and for a body that is not a form).
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    pub path: &'a str,
    pub headers: &'a crate::request::Headers,
    pub query: &'a str,
    /// The form body, once read; empty before or when not a form.
    pub form: &'a [u8],
}

impl Head<'_> {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// True for a form-encoded request.
    pub fn is_form(&self) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    }
}

/// Why the edge answers a request itself.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The request head is beyond a limit.
    Limit(LimitError),
    /// The body is longer than the edge accepts.
    BodyTooLarge,
    /// The body broke off or was malformed.
    BodyUnreadable,
    /// The body did not arrive in time.
    BodyTimedOut,
}

impl Refusal {
    /// What the refusal says, in every dialect's message.
    pub fn message(&self) -> String {
        match self {
            Self::Limit(e) => e.to_string(),
            Self::BodyTooLarge => "The request body exceeds the size limit.".into(),
            Self::BodyUnreadable | Self::BodyTimedOut => {
                "The request body could not be read.".into()
            }
        }
    }
}

/// The future of a served request.
pub type Serving<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// A vendor dialect (or Stratus's own admin API), as the edge sees it.
pub trait Dialect: Send + Sync {
    /// How strongly this dialect claims a request (the edge asks in its
    /// order and takes the first `Certain`, else the first `Fallback`).
    fn recognise(&self, head: &Head<'_>) -> Claim;

    /// Serves a request: authenticate, parse into the product's typed
    /// action, execute through the engine, render the vendor's envelope.
    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a>;

    /// The answer, in this dialect's envelope and codes, to a request the
    /// edge refused before reading it whole.
    fn refuse(&self, req: &RawRequest, refusal: &Refusal) -> Response;
}

/// The dialect that claims `head` among `dialects`, in their order.
pub fn recognise<'d>(
    dialects: &'d [std::sync::Arc<dyn Dialect>],
    head: &Head<'_>,
) -> Option<&'d dyn Dialect> {
    let mut fallback = None;
    for d in dialects {
        match d.recognise(head) {
            Claim::Certain => return Some(d.as_ref()),
            Claim::Fallback if fallback.is_none() => fallback = Some(d.as_ref()),
            _ => {}
        }
    }
    fallback
}
