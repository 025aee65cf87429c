//! The doc comments of the WIT contract this host was built with
//! (`wit/driver/0.1.0`), parsed once with `wit-parser`, to describe verbs and
//! their records to people and agents (MCP tool descriptions, JSON Schemas).
//!
//! A component carries types but no docs, so the docs are found by walking
//! the WIT declaration beside the component's own type ([`WitType`]): where
//! the two agree (same record fields, same variant cases) the docs apply;
//! where a driver built against another WIT version differs, that part simply
//! has no description.

use std::sync::LazyLock;
use wit_parser::{Function, Resolve, TypeDefKind};

/// The files of `paddock:driver@0.1.0`, embedded.
const SOURCES: &[(&str, &str)] = &[
    (
        "types.wit",
        include_str!("../../../wit/driver/0.1.0/types.wit"),
    ),
    ("db.wit", include_str!("../../../wit/driver/0.1.0/db.wit")),
    (
        "deploy.wit",
        include_str!("../../../wit/driver/0.1.0/deploy.wit"),
    ),
    (
        "storage.wit",
        include_str!("../../../wit/driver/0.1.0/storage.wit"),
    ),
];

/// The parsed contract, or `None` if it does not parse (which a unit test rules out).
static CONTRACT: LazyLock<Option<Resolve>> = LazyLock::new(|| {
    let mut map = wit_parser::SourceMap::new();
    for (name, text) in SOURCES {
        map.push_str(name, *text);
    }
    let mut resolve = Resolve::default();
    let parsed = map
        .parse()
        .map_err(|(_, e)| e.to_string())
        .and_then(|group| resolve.push_group(group).map_err(|e| e.to_string()));
    match parsed {
        Ok(_) => Some(resolve),
        Err(e) => {
            tracing::warn!("the embedded WIT does not parse; tools get no descriptions: {e}");
            None
        }
    }
});

/// A function of a domain interface (`db`, `storage`, `deploy`) as the
/// embedded WIT declares it.
#[derive(Clone, Copy)]
pub struct WitFunction<'a> {
    resolve: &'a Resolve,
    function: &'a Function,
}

/// The function `name` (`list-branches`) of `interface` (`db`).
pub fn function(interface: &str, name: &str) -> Option<WitFunction<'static>> {
    let resolve = CONTRACT.as_ref()?;
    let (_, iface) = resolve
        .interfaces
        .iter()
        .find(|(_, i)| i.name.as_deref() == Some(interface))?;
    let function = iface.functions.get(name)?;
    Some(WitFunction { resolve, function })
}

impl<'a> WitFunction<'a> {
    /// The function's doc comment, as one paragraph per blank-line block.
    pub fn docs(&self) -> Option<String> {
        tidy(self.function.docs.contents.as_deref())
    }

    /// The declared type of parameter `name`.
    pub fn param(&self, name: &str) -> Option<WitType<'a>> {
        self.function
            .params
            .iter()
            .find(|p| p.name == name)
            .map(|p| WitType {
                resolve: self.resolve,
                ty: p.ty,
            })
    }

    /// The declared result type.
    pub fn result(&self) -> Option<WitType<'a>> {
        self.function.result.map(|ty| WitType {
            resolve: self.resolve,
            ty,
        })
    }
}

/// A type as the embedded WIT declares it.
#[derive(Clone, Copy)]
pub struct WitType<'a> {
    resolve: &'a Resolve,
    ty: wit_parser::Type,
}

/// What a [`WitType`] is, with its parts, after following aliases (`use`).
pub enum WitKind<'a> {
    /// Record fields: name, type, docs.
    Record(Vec<(&'a str, WitType<'a>, Option<String>)>),
    /// Variant cases: name, payload type, docs.
    Variant(Vec<(&'a str, Option<WitType<'a>>, Option<String>)>),
    /// Enum cases: name, docs.
    Enum(Vec<(&'a str, Option<String>)>),
    /// `option<T>`.
    Option(WitType<'a>),
    /// `list<T>`.
    List(WitType<'a>),
    /// Tuple items.
    Tuple(Vec<WitType<'a>>),
    /// `result<T, E>`.
    Result(Option<WitType<'a>>, Option<WitType<'a>>),
    /// Anything else (primitives, flags, handles).
    Other,
}

impl<'a> WitType<'a> {
    fn at(&self, ty: wit_parser::Type) -> WitType<'a> {
        WitType {
            resolve: self.resolve,
            ty,
        }
    }

    /// The doc comment of the named type (`/// A typed SQL value.`), found
    /// through aliases.
    pub fn docs(&self) -> Option<String> {
        let mut ty = self.ty;
        while let wit_parser::Type::Id(id) = ty {
            let def = &self.resolve.types[id];
            if let Some(docs) = tidy(def.docs.contents.as_deref()) {
                return Some(docs);
            }
            match def.kind {
                TypeDefKind::Type(inner) => ty = inner,
                _ => return None,
            }
        }
        None
    }

    /// The type's structure.
    pub fn kind(&self) -> WitKind<'a> {
        let mut ty = self.ty;
        let def = loop {
            let wit_parser::Type::Id(id) = ty else {
                return WitKind::Other;
            };
            let def = &self.resolve.types[id];
            match def.kind {
                TypeDefKind::Type(inner) => ty = inner,
                _ => break def,
            }
        };
        match &def.kind {
            TypeDefKind::Record(r) => WitKind::Record(
                r.fields
                    .iter()
                    .map(|f| {
                        (
                            f.name.as_str(),
                            self.at(f.ty),
                            tidy(f.docs.contents.as_deref()),
                        )
                    })
                    .collect(),
            ),
            TypeDefKind::Variant(v) => WitKind::Variant(
                v.cases
                    .iter()
                    .map(|c| {
                        (
                            c.name.as_str(),
                            c.ty.map(|t| self.at(t)),
                            tidy(c.docs.contents.as_deref()),
                        )
                    })
                    .collect(),
            ),
            TypeDefKind::Enum(e) => WitKind::Enum(
                e.cases
                    .iter()
                    .map(|c| (c.name.as_str(), tidy(c.docs.contents.as_deref())))
                    .collect(),
            ),
            TypeDefKind::Option(t) => WitKind::Option(self.at(*t)),
            TypeDefKind::List(t) => WitKind::List(self.at(*t)),
            TypeDefKind::Tuple(t) => WitKind::Tuple(t.types.iter().map(|t| self.at(*t)).collect()),
            TypeDefKind::Result(r) => {
                WitKind::Result(r.ok.map(|t| self.at(t)), r.err.map(|t| self.at(t)))
            }
            _ => WitKind::Other,
        }
    }
}

/// Doc text with the comment layout removed: lines of a paragraph joined by
/// spaces, paragraphs by a blank line.
fn tidy(docs: Option<&str>) -> Option<String> {
    let text = docs?;
    let mut paragraphs: Vec<String> = vec![String::new()];
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !paragraphs.last().is_some_and(String::is_empty) {
                paragraphs.push(String::new());
            }
            continue;
        }
        let current = paragraphs.last_mut().expect("never empty");
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
    }
    let text = paragraphs
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_contract_parses_and_has_docs() {
        assert!(CONTRACT.is_some(), "the embedded WIT must parse");
        let query = function("db", "query").expect("db.query");
        assert!(
            query
                .docs()
                .unwrap()
                .starts_with("Runs a read-only statement.")
        );
        let WitKind::Record(fields) = function("db", "migrate")
            .unwrap()
            .param("options")
            .unwrap()
            .kind()
        else {
            panic!("migrate-options is a record")
        };
        let target = fields.iter().find(|f| f.0 == "target").unwrap();
        assert_eq!(
            target.2.as_deref(),
            Some("Apply up to and including this version; all when none.")
        );
        // Through the `use types.{error}` alias.
        let result = function("storage", "head").unwrap().result().unwrap();
        let WitKind::Result(_, Some(error)) = result.kind() else {
            panic!("head returns a result")
        };
        assert!(
            error
                .docs()
                .unwrap()
                .starts_with("The one error every verb")
        );
        assert!(function("db", "no-such-verb").is_none());
    }

    #[test]
    fn tidy_joins_lines_and_keeps_paragraphs() {
        assert_eq!(
            tidy(Some("One\ntwo.\n\nThree.\n")).as_deref(),
            Some("One two.\n\nThree.")
        );
        assert_eq!(tidy(Some("  \n")), None);
    }
}
