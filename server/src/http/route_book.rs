//! A router that remembers its routes, so the permission matrix test can demand a row for
//! every route: a route added without one fails the test.

use axum::routing::MethodRouter;
use axum::Router;

use crate::AppState;

/// One route: a method and a path pattern as axum writes it (`/d/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
}

#[derive(Default)]
pub struct RouteBook {
    router: Router<AppState>,
    routes: Vec<Route>,
}

impl RouteBook {
    pub fn get(self, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        self.add("GET", path, handler)
    }

    pub fn post(self, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        self.add("POST", path, handler)
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.routes.push(Route { method, path });
        self.router = self.router.route(path, handler);
        self
    }

    pub fn finish(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.routes)
    }
}
