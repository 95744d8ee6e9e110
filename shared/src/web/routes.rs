//! A route table parsed once (at init) with `matchit`, the router axum uses:
//! paths like `/a/{token}/items/{item}` map to a function's own route enum,
//! so a handler matches on a type, not on stripped strings. Listing the
//! table (`paths`) lets tests try every route.

use std::collections::HashMap;

pub struct Routes<R> {
    router: matchit::Router<R>,
    paths: Vec<&'static str>,
}

/// A matched route and its path parameters.
pub struct Matched<'p, R> {
    pub route: &'p R,
    params: HashMap<String, String>,
}

impl<R> Matched<'_, R> {
    /// A path parameter by name; empty if the route has none of that name.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or_default()
    }
}

impl<R: Clone> Routes<R> {
    /// Panics on a malformed or conflicting pattern: the table is a constant,
    /// so that is a programming error caught by any test that builds it.
    pub fn new(table: &[(&'static str, R)]) -> Self {
        let mut router = matchit::Router::new();
        for (path, route) in table {
            router.insert(*path, route.clone()).unwrap_or_else(|e| panic!("route {path}: {e}"));
        }
        Routes { router, paths: table.iter().map(|(p, _)| *p).collect() }
    }

    pub fn at<'p>(&'p self, path: &str) -> Option<Matched<'p, R>> {
        let m = self.router.at(path).ok()?;
        let params = m.params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        Some(Matched { route: m.value, params })
    }

    /// Every pattern in the table, as written.
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    enum R {
        Page,
        Item,
    }

    #[test]
    fn parameters_are_matched_and_unknown_paths_are_not() {
        let routes = Routes::new(&[("/a/{token}", R::Page), ("/a/{token}/items/{item}", R::Item)]);
        let m = routes.at("/a/tok/items/it-1").unwrap();
        assert_eq!(*m.route, R::Item);
        assert_eq!((m.param("token"), m.param("item")), ("tok", "it-1"));
        assert_eq!(*routes.at("/a/tok").unwrap().route, R::Page);
        assert!(routes.at("/a/tok/other").is_none());
        assert!(routes.at("/a/").is_none());
    }
}
