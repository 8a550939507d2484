//! [`RecordedRouter`]: an axum router that notes every method and path it is given.
//!
//! axum cannot list a router's routes, and the OpenAPI document is built from its own table
//! (`openapi::routes`). So the gateway's router is assembled through this wrapper, which adds
//! each route to axum *and* to a list; a test then holds the table to that list both ways
//! (every documented operation is served, every served operation is documented). A route is
//! added with the method it answers, so the list cannot disagree with what axum serves.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, any, delete, get, post, put};

use super::AppState;

/// One route as served: method (`any` for every method), path template relative to
/// `BASE_PATH`, and whether it is part of the API the OpenAPI document describes (static
/// files and redirects are not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub method: &'static str,
    pub path: String,
    pub api: bool,
}

/// A router being built, with the list of what it serves.
#[derive(Debug, Default)]
pub struct RecordedRouter {
    router: Router<AppState>,
    served: Vec<Served>,
}

impl RecordedRouter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("get", path, true, get(handler))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("post", path, true, post(handler))
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("put", path, true, put(handler))
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("delete", path, true, delete(handler))
    }

    pub fn any<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("any", path, true, any(handler))
    }

    /// A `GET` that serves files or redirects rather than API answers (not in the document).
    pub fn file<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("get", path, false, get(handler))
    }

    /// axum merges method routers given for the same path, so a path may be added once per
    /// method.
    fn add(
        mut self,
        method: &'static str,
        path: &str,
        api: bool,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.served.push(Served {
            method,
            path: path.to_owned(),
            api,
        });
        self
    }

    /// Changes the axum router (layers) without adding routes.
    pub fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    pub fn nest(mut self, prefix: &str, child: RecordedRouter) -> Self {
        self.router = self.router.nest(prefix, child.router);
        self.served
            .extend(child.served.into_iter().map(|served| Served {
                path: format!("{prefix}{}", served.path),
                ..served
            }));
        self
    }

    pub fn merge(mut self, other: RecordedRouter) -> Self {
        self.router = self.router.merge(other.router);
        self.served.extend(other.served);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<Served>) {
        (self.router, self.served)
    }
}
