//! The price catalog: per provider type, model id → [`ModelPrice`], plus fallback rules for
//! provider types that sell other vendors' models (Azure sells OpenAI's, OpenRouter everyone's).
//!
//! The file format is `catalog.json` beside this file. Keys starting with `_` are notes and
//! are skipped wherever they appear; anything else unknown is an error, so a typo such as
//! `cache_input` fails the load instead of silently pricing cached tokens at the input rate.
//! Ids are matched case-insensitively (MiniMax spells its ids in capitals).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::types::{ModelPrice, PRICE_FIELDS, PricingError, valid_rate};

pub(super) struct Catalog {
    sections: HashMap<String, HashMap<String, ModelPrice>>,
    fallbacks: HashMap<String, Vec<Fallback>>,
}

/// "Look in `provider`'s section too", for ids starting with `prefix` (removed first) if set.
struct Fallback {
    provider: String,
    prefix: Option<String>,
    /// Also try the id with `.` spelled `-` (OpenRouter's `claude-sonnet-4.5` is Anthropic's
    /// `claude-sonnet-4-5`).
    dots_as_dashes: bool,
}

fn invalid(message: impl Into<String>) -> PricingError {
    PricingError::InvalidCatalog(message.into())
}

/// The object's entries that are not `_` notes.
fn entries(object: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    object.iter().filter(|(key, _)| !key.starts_with('_'))
}

impl Catalog {
    pub(super) fn empty() -> Catalog {
        Catalog {
            sections: HashMap::new(),
            fallbacks: HashMap::new(),
        }
    }

    pub(super) fn parse(json: &str) -> Result<Catalog, PricingError> {
        let root: Map<String, Value> =
            serde_json::from_str(json).map_err(|err| invalid(err.to_string()))?;
        let mut catalog = Catalog::empty();
        let mut fallbacks = None;
        for (key, value) in entries(&root) {
            match key.as_str() {
                "providers" => catalog.sections = parse_sections(value)?,
                "fallbacks" => fallbacks = Some(value),
                other => return Err(invalid(format!("unknown top-level key `{other}`"))),
            }
        }
        if let Some(value) = fallbacks {
            catalog.fallbacks = parse_fallbacks(value, &catalog.sections)?;
        }
        Ok(catalog)
    }

    /// Number of priced models over all provider types.
    pub(super) fn len(&self) -> usize {
        self.sections.values().map(HashMap::len).sum()
    }

    /// The price of the first of `candidates` (lowercase, most exact first) found for
    /// `provider_type`, in its own section or through its fallbacks.
    pub(super) fn lookup(&self, provider_type: &str, candidates: &[String]) -> Option<&ModelPrice> {
        candidates
            .iter()
            .find_map(|id| self.find(provider_type, id))
    }

    fn find(&self, provider_type: &str, id: &str) -> Option<&ModelPrice> {
        if let Some(price) = self.get(provider_type, id) {
            return Some(price);
        }
        self.fallbacks
            .get(provider_type)?
            .iter()
            .find_map(|rule| match &rule.prefix {
                None => self.get(&rule.provider, id),
                Some(prefix) => {
                    let rest = id.strip_prefix(prefix.as_str())?;
                    self.get(&rule.provider, rest).or_else(|| {
                        (rule.dots_as_dashes && rest.contains('.'))
                            .then(|| rest.replace('.', "-"))
                            .and_then(|dashed| self.get(&rule.provider, &dashed))
                    })
                }
            })
    }

    fn get(&self, provider_type: &str, id: &str) -> Option<&ModelPrice> {
        self.sections.get(provider_type)?.get(id)
    }

    /// Every entry as (provider type, model id, price), for checks over the whole catalog.
    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &str, &ModelPrice)> {
        self.sections.iter().flat_map(|(provider, models)| {
            models
                .iter()
                .map(move |(model, price)| (provider.as_str(), model.as_str(), price))
        })
    }
}

fn parse_sections(
    value: &Value,
) -> Result<HashMap<String, HashMap<String, ModelPrice>>, PricingError> {
    let providers = value
        .as_object()
        .ok_or_else(|| invalid("`providers` must be an object"))?;
    let mut sections = HashMap::new();
    for (provider, models) in entries(providers) {
        let models = models
            .as_object()
            .ok_or_else(|| invalid(format!("providers.{provider} must be an object")))?;
        let mut section = HashMap::new();
        for (model, price) in entries(models) {
            let price = parse_price(price)
                .map_err(|why| invalid(format!("providers.{provider}.{model}: {why}")))?;
            if section.insert(model.to_ascii_lowercase(), price).is_some() {
                return Err(invalid(format!(
                    "providers.{provider}: `{model}` is listed twice (ids are case-insensitive)"
                )));
            }
        }
        if sections
            .insert(provider.to_ascii_lowercase(), section)
            .is_some()
        {
            return Err(invalid(format!("provider `{provider}` is listed twice")));
        }
    }
    Ok(sections)
}

/// One catalog entry: known fields only, each a finite non-negative number, input and output
/// required (an entry that cannot price a prompt and a completion is not a price).
fn parse_price(value: &Value) -> Result<ModelPrice, String> {
    let object = value.as_object().ok_or("must be an object")?;
    let mut price = ModelPrice::default();
    for (key, rate) in entries(object) {
        let field = price
            .field_mut(key)
            .ok_or_else(|| format!("unknown field `{key}` (known: {})", PRICE_FIELDS.join(", ")))?;
        let rate = rate
            .as_f64()
            .filter(|rate| valid_rate(*rate))
            .ok_or_else(|| format!("`{key}` must be a non-negative number"))?;
        *field = Some(rate);
    }
    if price.input.is_none() || price.output.is_none() {
        return Err("needs both `input` and `output`".to_owned());
    }
    Ok(price)
}

fn parse_fallbacks(
    value: &Value,
    sections: &HashMap<String, HashMap<String, ModelPrice>>,
) -> Result<HashMap<String, Vec<Fallback>>, PricingError> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid("`fallbacks` must be an object"))?;
    let mut fallbacks = HashMap::new();
    for (provider, rules) in entries(object) {
        let rules = rules
            .as_array()
            .ok_or_else(|| invalid(format!("fallbacks.{provider} must be a list")))?;
        let rules = rules
            .iter()
            .map(|rule| {
                parse_fallback(rule, sections)
                    .map_err(|why| invalid(format!("fallbacks.{provider}: {why}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        fallbacks.insert(provider.to_ascii_lowercase(), rules);
    }
    Ok(fallbacks)
}

fn parse_fallback(
    rule: &Value,
    sections: &HashMap<String, HashMap<String, ModelPrice>>,
) -> Result<Fallback, String> {
    let object = rule.as_object().ok_or("a rule must be an object")?;
    let mut provider = None;
    let mut prefix = None;
    let mut dots_as_dashes = false;
    for (key, value) in entries(object) {
        match key.as_str() {
            "provider" => {
                let name = value.as_str().ok_or("`provider` must be a string")?;
                provider = Some(name.to_ascii_lowercase());
            }
            "prefix" => {
                let start = value.as_str().ok_or("`prefix` must be a string")?;
                prefix = Some(start.to_ascii_lowercase());
            }
            "dots_as_dashes" => {
                dots_as_dashes = value
                    .as_bool()
                    .ok_or("`dots_as_dashes` must be a boolean")?
            }
            other => return Err(format!("unknown rule field `{other}`")),
        }
    }
    let provider = provider.ok_or("a rule needs a `provider`")?;
    if !sections.contains_key(&provider) {
        return Err(format!("no `{provider}` section to fall back to"));
    }
    if prefix.as_deref() == Some("") {
        return Err("`prefix` must not be empty".to_owned());
    }
    Ok(Fallback {
        provider,
        prefix,
        dots_as_dashes,
    })
}
