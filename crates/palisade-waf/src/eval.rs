//! Rules compiled once (patterns built, search strings decoded) and
//! evaluated in priority order: a matching rule adds its labels, Count goes
//! on, Allow and Block stop; the default action decides the rest.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use memchr::memmem;

use crate::acl::{
    Action, AggregateKey, Blobs, Comparison, CustomKey, CustomResponse, Fallback, FieldToMatch,
    ForwardedIp, LabelScope, NamedValue, OverrideAction, Position, ResponseBody, Rule, RuleGroup,
    Sensitivity, Statement, WebAcl,
};
use crate::inspect::{Component, WafRequest, cookies, query_args};
use crate::rate::MemoryLimiter;
use crate::sets::{IpSet, Sets};
use crate::sqli::is_sqli;
use crate::transform::{Transform, apply_all};
use crate::verdicts::{Detector, regex_detector, remembered};
use crate::xss::is_xss;
use smallvec::SmallVec;

/// A statement ready to evaluate.
#[derive(Debug)]
enum Check {
    Bytes {
        field: FieldToMatch,
        transforms: Transforms,
        needle: Vec<u8>,
        position: Position,
    },
    Regex {
        field: FieldToMatch,
        transforms: Transforms,
        regex: Arc<RuleRegex>,
        remember: Option<Detector>,
        /// Its pattern is part of its slot's screen (see [`Screen`]).
        screened: bool,
    },
    Size {
        field: FieldToMatch,
        transforms: Transforms,
        comparison: Comparison,
        size: u64,
    },
    Label {
        scope: LabelScope,
        key: String,
    },
    RegexSet {
        field: FieldToMatch,
        transforms: Transforms,
        patterns: Vec<regex::bytes::Regex>,
        remember: Option<Detector>,
    },
    IpSet {
        set: IpSet,
        forwarded: Option<ForwardedIp>,
    },
    Geo {
        codes: Vec<String>,
        forwarded: Option<ForwardedIp>,
        db: Arc<crate::geo::GeoDb>,
    },
    Asn {
        list: Vec<u64>,
        forwarded: Option<ForwardedIp>,
        db: Arc<crate::geo::GeoDb>,
    },
    Rate {
        limit: u64,
        window: Duration,
        limiter: Arc<MemoryLimiter>,
        key: AggregateKey,
        custom: Vec<CustomKey>,
        forwarded: Option<ForwardedIp>,
        scope_down: Option<Box<Check>>,
    },
    Sqli {
        field: FieldToMatch,
        transforms: Transforms,
        level: Sensitivity,
        /// Set when the verdicts are remembered (see [`repeats`]).
        remember: Option<Detector>,
    },
    Xss {
        field: FieldToMatch,
        transforms: Transforms,
        remember: Option<Detector>,
    },
    And(Vec<Check>),
    Or(Vec<Check>),
    Not(Box<Check>),
}

/// A statement's transformations, and the slot where the request's
/// transformed component is kept: statements inspecting the same
/// component with the same transformations (the SQLi and XSS rules of one
/// web ACL, typically) transform it once per request.
#[derive(Debug)]
struct Transforms {
    slot: usize,
}

/// How a slot's values come about: a field read from the request (a root
/// slot), or one transformation applied to another slot's values. Chains
/// that begin alike share their beginning: the managed groups read each
/// field through a dozen chains that all start by decoding it, and the
/// decoding is done once.
#[derive(Debug)]
struct SlotPlan {
    field: FieldToMatch,
    parent: Option<usize>,
    step: Transform,
}

/// The slots of a web ACL being compiled, each found by its description.
#[derive(Debug, Default)]
struct SlotTable {
    plans: Vec<SlotPlan>,
    index: HashMap<String, usize>,
}

impl SlotTable {
    fn find_or_add(&mut self, key: String, plan: SlotPlan) -> usize {
        if let Some(&at) = self.index.get(&key) {
            return at;
        }
        self.plans.push(plan);
        self.index.insert(key, self.plans.len() - 1);
        self.plans.len() - 1
    }

    /// The slot of `field` transformed by `list` (NONE steps do nothing
    /// and are left out), adding it and the slots of its beginnings.
    fn slot(&mut self, field: &FieldToMatch, list: &[Transform]) -> usize {
        let mut key = format!("{field:?}");
        let mut at = self.find_or_add(
            key.clone(),
            SlotPlan {
                field: field.clone(),
                parent: None,
                step: Transform::None,
            },
        );
        for &step in list.iter().filter(|t| **t != Transform::None) {
            key.push('|');
            key.push_str(step.name());
            at = self.find_or_add(
                key.clone(),
                SlotPlan {
                    field: field.clone(),
                    parent: Some(at),
                    step,
                },
            );
        }
        at
    }
}

/// Per request: each slot's component, transformed, and which of its
/// values passed the slot's screen.
struct Memo<'a, 'e> {
    components: Vec<OnceCell<Component<'a>>>,
    screened: Vec<OnceCell<SmallVec<[bool; 8]>>>,
    screens: &'e [Option<Screen>],
    plans: &'e [SlotPlan],
}

/// Every regular expression that reads one slot, as one alternation: a
/// request's values are read once by it, and only a value it matches is
/// read again by the rules' own expressions to say which matched. With a
/// hundred rules over a dozen slots (the managed groups), benign traffic
/// costs a dozen scans instead of a hundred.
#[derive(Debug)]
struct Screen {
    regex: regex::bytes::Regex,
    remember: Option<Detector>,
}

/// The largest compiled form of a slot's screen.
const SCREEN_SIZE_LIMIT: usize = 64 << 20;

impl<'a, 'e> Memo<'a, 'e> {
    fn new(plans: &'e [SlotPlan], screens: &'e [Option<Screen>]) -> Memo<'a, 'e> {
        Memo {
            components: (0..plans.len()).map(|_| OnceCell::new()).collect(),
            screened: (0..screens.len()).map(|_| OnceCell::new()).collect(),
            screens,
            plans,
        }
    }

    fn component(
        &self,
        _field: &FieldToMatch,
        transforms: &Transforms,
        request: &WafRequest<'a>,
    ) -> &Component<'a> {
        self.slot(transforms.slot, request)
    }

    /// Slot `at`'s values: its parent's with its step applied (a value
    /// the step leaves alone is the parent's, borrowed from the request
    /// where the parent's was).
    fn slot(&self, at: usize, request: &WafRequest<'a>) -> &Component<'a> {
        if let Some(done) = self.components[at].get() {
            return done;
        }
        let plan = &self.plans[at];
        let component = match plan.parent {
            None => plan.field.extract(request),
            Some(parent) => match self.slot(parent, request) {
                Component::Values(values) => Component::Values(
                    values
                        .iter()
                        .map(|value| match value {
                            Cow::Borrowed(text) => plan.step.apply(text),
                            Cow::Owned(text) => Cow::Owned(plan.step.apply(text).into_owned()),
                        })
                        .collect(),
                ),
                decided => decided.clone(),
            },
        };
        self.components[at].get_or_init(|| component)
    }

    /// Whether each of `values` (slot `slot`'s) matched its screen; `None`
    /// when the slot has none.
    fn screen(&self, slot: usize, values: &[Cow<'_, [u8]>]) -> Option<&[bool]> {
        let screen = self.screens.get(slot)?.as_ref()?;
        Some(self.screened[slot].get_or_init(|| {
            values
                .iter()
                .map(|v| remembered(screen.remember, v, || screen.regex.is_match(v)))
                .collect()
        }))
    }
}

/// The largest compiled form of a rule's regular expression.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A RegexMatch statement's expression. The shipped groups' expressions
/// are compiled on first use when their slot's screen stands for them:
/// their screen reads every request, they only the rare value that passed
/// it, and compiling them all at load was most of a web ACL's load time.
/// (Tests compile every shipped expression.) Your own expressions are
/// compiled at load, so a bad one is an error then. One pattern used by
/// several rules is one `RuleRegex`.
#[derive(Debug)]
struct RuleRegex {
    pattern: String,
    /// Read in Unicode mode (only ever for your own expressions).
    unicode: bool,
    compiled: std::sync::OnceLock<regex::bytes::Regex>,
}

impl RuleRegex {
    fn get(&self) -> &regex::bytes::Regex {
        self.compiled
            .get_or_init(|| match build_regex(&self.pattern) {
                Ok((regex, _)) => regex,
                // A shipped expression always compiles (tested); were one not
                // to, its rule would match what passed the screen rather than
                // let an attack through.
                Err(_) => regex::bytes::Regex::new("").unwrap_or_else(|_| unreachable!()),
            })
    }
}

/// A rule's regular expression as AWS WAF reads it: like PCRE without
/// its UTF mode, `\w`, `\d`, `\s` and `\b` are ASCII classes and `.` is any
/// byte. (It is also several times cheaper to compile and run than the
/// Unicode classes.) A pattern that needs Unicode mode, say a class of
/// accented letters, is read in it.
/// Says whether Unicode mode was needed.
pub(crate) fn build_regex(pattern: &str) -> Result<(regex::bytes::Regex, bool), regex::Error> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(|r| (r, unicode))
    };
    build(false).or_else(|_| build(true))
}

/// Whether a flag group of `pattern` (`(?x)`, `(?ix:`, ...) may turn on
/// verbose mode, where `#` opens a comment. A `\\(?x)` that is no flag
/// group also counts: the answer may only err towards "yes".
fn may_be_verbose(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(at, _)| {
        let flags: String = pattern[at + 2..]
            .chars()
            .take_while(|c| matches!(c, 'i' | 'm' | 's' | 'x' | 'u' | 'U' | 'R' | '-'))
            .collect();
        let closed = pattern[at + 2 + flags.len()..].starts_with([')', ':']);
        closed && flags.split('-').next().is_some_and(|on| on.contains('x'))
    })
}

/// The screens of the slots that two or more screenable expressions read;
/// a slot whose alternation does not compile within the limit has none
/// (its rules read each value themselves, as without screens, and their
/// expressions are compiled now). Slots are compiled on up to four
/// threads: the screens of the managed groups are most of their load time.
fn screens(slots: usize, screenable: Vec<(usize, Arc<RuleRegex>, bool)>) -> Vec<Option<Screen>> {
    let mut by_slot: Vec<(Vec<Arc<RuleRegex>>, bool)> = vec![(Vec::new(), false); slots];
    for (slot, regex, repeats) in screenable {
        if let Some((list, repeated)) = by_slot.get_mut(slot) {
            if !list.iter().any(|r| Arc::ptr_eq(r, &regex)) {
                list.push(regex);
            }
            *repeated = repeats;
        }
    }
    let build = |(members, repeats): &(Vec<Arc<RuleRegex>>, bool)| -> Option<Screen> {
        let screen = (members.len() >= 2)
            .then(|| {
                let joined = members
                    .iter()
                    .map(|r| {
                        if r.pattern.starts_with("(?x)") {
                            format!("(?:{}\n)", r.pattern)
                        } else {
                            format!("(?:{})", r.pattern)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("|");
                regex::bytes::RegexBuilder::new(&joined)
                    .unicode(false)
                    .size_limit(SCREEN_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .flatten();
        if screen.is_none() {
            for member in members {
                member.get();
            }
        }
        screen.map(|regex| Screen {
            regex,
            remember: repeats.then(regex_detector),
        })
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4);
    let work: usize = by_slot.iter().filter(|(m, _)| !m.is_empty()).count();
    if threads < 2 || work < 2 {
        return by_slot.iter().map(build).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<std::sync::Mutex<Option<Screen>>> =
        (0..slots).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(slot) = by_slot.get(at) else { break };
                    let screen = build(slot);
                    if let Ok(mut place) = done[at].lock() {
                        *place = screen;
                    }
                }
            });
        }
    });
    done.into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

/// A set's patterns as one alternation, so a value is read once rather
/// than once per pattern; each keeps its own flags inside its group. The
/// patterns as they are when the alternation grows past the size limit.
fn one_pass(patterns: &[regex::bytes::Regex]) -> Vec<regex::bytes::Regex> {
    // A `#` may open an `(?x)` comment, which would run over the group's
    // closing parenthesis.
    if patterns.len() < 2 || patterns.iter().any(|p| p.as_str().contains('#')) {
        return patterns.to_vec();
    }
    let joined = patterns
        .iter()
        .map(|p| format!("(?:{})", p.as_str()))
        .collect::<Vec<_>>()
        .join("|");
    match regex::bytes::RegexBuilder::new(&joined)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
    {
        Ok(one) => vec![one],
        Err(_) => patterns.to_vec(),
    }
}

/// What compiling a rule's statement needs besides the statement.
struct Ctx<'s> {
    sets: &'s Sets,
    /// Each distinct transformed component, by its description.
    slots: &'s RefCell<SlotTable>,
    /// How the document writes byte match search strings.
    blobs: Blobs,
    /// Where a search string's reading is noted.
    warnings: &'s RefCell<Vec<String>>,
    /// The label namespace of the rule group being compiled: a label match
    /// key that is not fully qualified is in it.
    namespace: Option<&'s str>,
    /// The rule, for warnings.
    rule: &'s str,
    /// Regular expressions that may join a slot's screen: slot,
    /// expression, and whether the slot's values repeat from request to
    /// request.
    screenable: &'s RefCell<Vec<(usize, Arc<RuleRegex>, bool)>>,
    /// Expressions compiled so far, by pattern.
    regexes: &'s RefCell<HashMap<String, Arc<RuleRegex>>>,
    /// Compiling a group palisade ships (its expressions are tested).
    shipped: bool,
}

/// A match pattern names exactly one of All, included and excluded names.
fn check_field(field: &FieldToMatch) -> Result<(), String> {
    let given = |all: bool, included: bool, excluded: bool| {
        usize::from(all) + usize::from(included) + usize::from(excluded)
    };
    let count = match field {
        FieldToMatch::Headers(m) => given(
            m.match_pattern.all.is_some(),
            m.match_pattern.included_headers.is_some(),
            m.match_pattern.excluded_headers.is_some(),
        ),
        FieldToMatch::Cookies(m) => given(
            m.match_pattern.all.is_some(),
            m.match_pattern.included_cookies.is_some(),
            m.match_pattern.excluded_cookies.is_some(),
        ),
        FieldToMatch::JsonBody(m) => given(
            m.match_pattern.all.is_some(),
            m.match_pattern.included_paths.is_some(),
            false,
        ),
        _ => return Ok(()),
    };
    if count == 1 {
        Ok(())
    } else {
        Err("FieldToMatch: its MatchPattern must give exactly one of All, the included names and the excluded names".to_string())
    }
}

fn compile(statement: &Statement, ctx: &Ctx<'_>) -> Result<Check, String> {
    let sets = ctx.sets;
    let compile = |s: &Statement| compile(s, ctx);
    if let Some(field) = statement_field(statement) {
        check_field(field)?;
        if let FieldToMatch::Ja3Fingerprint(f) | FieldToMatch::Ja4Fingerprint(f) = field {
            let name = if matches!(field, FieldToMatch::Ja3Fingerprint(_)) {
                "JA3Fingerprint"
            } else {
                "JA4Fingerprint"
            };
            let fallback = match f.fallback_behavior {
                Some(Fallback::Match) => "MATCH",
                _ => "NO_MATCH",
            };
            ctx.warnings.borrow_mut().push(format!(
                "rule {:?}: {name}: the gateway does not terminate TLS, so there is no ClientHello to fingerprint; the statement's FallbackBehavior ({fallback}) decides every request",
                ctx.rule
            ));
        }
    }
    let slot = |field: &FieldToMatch, list: &[crate::acl::TextTransformation]| {
        let list: Vec<Transform> = list.iter().map(|t| t.kind).collect();
        Transforms {
            slot: ctx.slots.borrow_mut().slot(field, &list),
        }
    };
    Ok(match statement {
        Statement::ByteMatchStatement(s) => {
            let needle = match (&s.search_string, &s.search_string_base64) {
                (Some(text), None) => search_string(text, ctx),
                (None, Some(encoded)) => match Transform::Base64Decode.apply(encoded.as_bytes()) {
                    Cow::Owned(bytes) => bytes,
                    Cow::Borrowed(_) if encoded.is_empty() => Vec::new(),
                    Cow::Borrowed(_) => {
                        return Err("SearchStringBase64 is not base64".to_string());
                    }
                },
                _ => {
                    return Err(
                        "give exactly one of SearchString and SearchStringBase64".to_string()
                    );
                }
            };
            Check::Bytes {
                field: s.field_to_match.clone(),
                transforms: slot(&s.field_to_match, &s.text_transformations),
                needle,
                position: s.positional_constraint,
            }
        }
        Statement::RegexMatchStatement(s) => {
            let transforms = slot(&s.field_to_match, &s.text_transformations);
            let known = ctx.regexes.borrow().get(&s.regex_string).cloned();
            let (regex, unicode) = match known {
                Some(regex) => {
                    let unicode = regex.unicode;
                    (regex, unicode)
                }
                None => {
                    let compiled = std::sync::OnceLock::new();
                    let mut unicode = false;
                    if !ctx.shipped {
                        let (regex, u) = build_regex(&s.regex_string)
                            .map_err(|e| format!("RegexString: {e}"))?;
                        unicode = u;
                        let _ = compiled.set(regex);
                    }
                    let regex = Arc::new(RuleRegex {
                        pattern: s.regex_string.clone(),
                        unicode,
                        compiled,
                    });
                    ctx.regexes
                        .borrow_mut()
                        .insert(s.regex_string.clone(), Arc::clone(&regex));
                    (regex, unicode)
                }
            };
            // In the alternation a `#` could open an `(?x)` comment that
            // runs over the closing parenthesis (a pattern that begins
            // `(?x)` gets a line break before it); Unicode mode is the
            // pattern's own. A shipped expression is read without Unicode.
            let screened = !unicode
                && (!s.regex_string.contains('#')
                    || s.regex_string.starts_with("(?x)")
                    || !may_be_verbose(&s.regex_string));
            if screened {
                ctx.screenable.borrow_mut().push((
                    transforms.slot,
                    Arc::clone(&regex),
                    repeats(&s.field_to_match),
                ));
            } else {
                regex.get();
            }
            Check::Regex {
                field: s.field_to_match.clone(),
                transforms,
                regex,
                remember: repeats(&s.field_to_match).then(regex_detector),
                screened,
            }
        }
        Statement::SizeConstraintStatement(s) => Check::Size {
            field: s.field_to_match.clone(),
            transforms: slot(&s.field_to_match, &s.text_transformations),
            comparison: s.comparison_operator,
            size: s.size,
        },
        Statement::LabelMatchStatement(s) => Check::Label {
            scope: s.scope,
            key: match ctx.namespace {
                Some(namespace) if !s.key.starts_with("awswaf:") => {
                    format!("{namespace}{}", s.key)
                }
                _ => s.key.clone(),
            },
        },
        Statement::ManagedRuleGroupStatement(_) | Statement::RuleGroupReferenceStatement(_) => {
            return Err(
                "a rule group statement can only be a rule's own statement, not nested in another"
                    .to_string(),
            );
        }
        Statement::AsnMatchStatement(s) => Check::Asn {
            list: s.asn_list.clone(),
            forwarded: s.forwarded_ip_config.clone(),
            db: sets.asn.clone().ok_or(
                "AsnMatchStatement needs an ASN database (waf: asn_database, or --asn-database)",
            )?,
        },
        Statement::RegexPatternSetReferenceStatement(s) => Check::RegexSet {
            field: s.field_to_match.clone(),
            transforms: slot(&s.field_to_match, &s.text_transformations),
            patterns: one_pass(
                &sets
                    .regex_set(&s.arn)
                    .ok_or_else(|| format!("no regex pattern set with ARN {:?} was loaded", s.arn))?
                    .patterns,
            ),
            remember: repeats(&s.field_to_match).then(regex_detector),
        },
        Statement::IpSetReferenceStatement(s) => Check::IpSet {
            set: sets
                .ip_set(&s.arn)
                .ok_or_else(|| format!("no IP set with ARN {:?} was loaded", s.arn))?
                .clone(),
            forwarded: s.ip_set_forwarded_ip_config.clone(),
        },
        Statement::AndStatement(s) | Statement::OrStatement(s)
            if s.statements
                .iter()
                .any(|c| matches!(c, Statement::RateBasedStatement(_))) =>
        {
            return Err(NESTED_RATE.to_string());
        }
        Statement::NotStatement(s) if matches!(*s.statement, Statement::RateBasedStatement(_)) => {
            return Err(NESTED_RATE.to_string());
        }
        Statement::AndStatement(s) => {
            Check::And(s.statements.iter().map(compile).collect::<Result<_, _>>()?)
        }
        Statement::OrStatement(s) => {
            Check::Or(s.statements.iter().map(compile).collect::<Result<_, _>>()?)
        }
        Statement::NotStatement(s) => Check::Not(Box::new(compile(&s.statement)?)),
        Statement::RateBasedStatement(s) => {
            if !matches!(s.evaluation_window_sec, 60 | 120 | 300 | 600) {
                return Err(format!(
                    "EvaluationWindowSec {} is not one of 60, 120, 300, 600",
                    s.evaluation_window_sec
                ));
            }
            match (s.aggregate_key_type, s.custom_keys.len()) {
                (AggregateKey::CustomKeys, 1..=5) => {}
                (AggregateKey::CustomKeys, _) => {
                    return Err("CUSTOM_KEYS needs 1 to 5 CustomKeys".to_string());
                }
                (_, 0) => {}
                (_, _) => {
                    return Err(
                        "CustomKeys are only read with AggregateKeyType CUSTOM_KEYS".to_string()
                    );
                }
            }
            Check::Rate {
                limit: s.limit,
                window: Duration::from_secs(s.evaluation_window_sec),
                limiter: Arc::new(MemoryLimiter::new(
                    s.limit,
                    Duration::from_secs(s.evaluation_window_sec),
                )),
                key: s.aggregate_key_type,
                custom: s.custom_keys.clone(),
                forwarded: s.forwarded_ip_config.clone(),
                scope_down: match &s.scope_down_statement {
                    Some(Statement::RateBasedStatement(_)) => {
                        return Err(NESTED_RATE.to_string());
                    }
                    Some(scope) => Some(Box::new(compile(scope)?)),
                    None => None,
                },
            }
        }
        Statement::SqliMatchStatement(s) => Check::Sqli {
            field: s.field_to_match.clone(),
            transforms: slot(&s.field_to_match, &s.text_transformations),
            level: s.sensitivity_level,
            remember: repeats(&s.field_to_match).then_some(match s.sensitivity_level {
                Sensitivity::Low => Detector::SqliLow,
                Sensitivity::High => Detector::SqliHigh,
            }),
        },
        Statement::XssMatchStatement(s) => Check::Xss {
            field: s.field_to_match.clone(),
            transforms: slot(&s.field_to_match, &s.text_transformations),
            remember: repeats(&s.field_to_match).then_some(Detector::XssLow),
        },
        Statement::GeoMatchStatement(s) => {
            let db = sets.geo.clone().ok_or(
                "GeoMatchStatement needs a country database (waf: geo_database, or --geo-database)",
            )?;
            if let Some(bad) = s
                .country_codes
                .iter()
                .find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
            {
                return Err(format!(
                    "CountryCodes: {bad:?} is not an ISO 3166-1 alpha-2 code such as US"
                ));
            }
            Check::Geo {
                codes: s.country_codes.clone(),
                forwarded: s.forwarded_ip_config.clone(),
                db,
            }
        }
    })
}

/// The component a statement inspects, if it inspects one.
fn statement_field(statement: &Statement) -> Option<&FieldToMatch> {
    match statement {
        Statement::ByteMatchStatement(s) => Some(&s.field_to_match),
        Statement::RegexMatchStatement(s) => Some(&s.field_to_match),
        Statement::RegexPatternSetReferenceStatement(s) => Some(&s.field_to_match),
        Statement::SizeConstraintStatement(s) => Some(&s.field_to_match),
        Statement::SqliMatchStatement(s) => Some(&s.field_to_match),
        Statement::XssMatchStatement(s) => Some(&s.field_to_match),
        _ => None,
    }
}

/// A byte match's `SearchString` as the document writes it: text in
/// CloudFormation, base64 in API / CLI JSON — where the console also shows
/// plain text, so a string that does not decode to printable text is read
/// as the text it is, with a warning.
fn search_string(text: &str, ctx: &Ctx<'_>) -> Vec<u8> {
    if ctx.blobs == Blobs::Text {
        return text.as_bytes().to_vec();
    }
    let padded = !text.is_empty()
        && text.len().is_multiple_of(4)
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if padded
        && let Cow::Owned(decoded) = Transform::Base64Decode.apply(text.as_bytes())
        && std::str::from_utf8(&decoded)
            .is_ok_and(|d| !d.is_empty() && d.chars().all(|c| !c.is_control() || c == '\t'))
    {
        return decoded;
    }
    ctx.warnings.borrow_mut().push(format!(
        "rule {:?}: SearchString {text:?} is not base64 of text, as the API writes it; matched as the text it is",
        ctx.rule
    ));
    text.as_bytes().to_vec()
}

/// AWS allows a rate-based statement only as a rule's own statement.
const NESTED_RATE: &str = "a RateBasedStatement can only be a rule's top-level statement";

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Components whose values a client sends again with every request
/// (User-Agent, Accept, Referer, its session cookie), so remembering their
/// detector and regex verdicts pays; paths, queries and bodies vary too
/// much.
fn repeats(field: &FieldToMatch) -> bool {
    matches!(
        field,
        FieldToMatch::Headers(_) | FieldToMatch::SingleHeader(_) | FieldToMatch::Cookies(_)
    )
}

/// A body that is a JSON document, as its strings (values and member
/// names, escapes decoded): the SQL injection and XSS detectors read each
/// on its own, as the application will, rather than the document's text,
/// where one field's quote would seem to close another's. `None` when the
/// body is not JSON (the detectors then read it whole).
fn json_leaves(value: &[u8]) -> Option<Vec<String>> {
    let first = value.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    // serde_json refuses nesting past 128 levels: such a body is read
    // whole.
    let document: serde_json::Value = serde_json::from_slice(value).ok()?;
    let mut leaves = Vec::new();
    let mut stack = vec![&document];
    while let Some(node) = stack.pop() {
        match node {
            serde_json::Value::String(text) => leaves.push(text.clone()),
            serde_json::Value::Array(items) => stack.extend(items.iter()),
            serde_json::Value::Object(members) => {
                for (name, member) in members {
                    leaves.push(name.clone());
                    stack.push(member);
                }
            }
            _ => {}
        }
    }
    Some(leaves)
}

fn byte_match(value: &[u8], needle: &[u8], position: Position) -> bool {
    match position {
        Position::Exactly => value == needle,
        Position::StartsWith => value.starts_with(needle),
        Position::EndsWith => value.ends_with(needle),
        Position::Contains => memmem::find(value, needle).is_some(),
        Position::ContainsWord => memmem::find_iter(value, needle).any(|at| {
            let before = at.checked_sub(1).map(|i| value[i]);
            let after = value.get(at + needle.len()).copied();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        }),
    }
}

impl Check {
    fn matches<'a>(
        &self,
        request: &WafRequest<'a>,
        labels: &[String],
        now: Instant,
        memo: &Memo<'a, '_>,
    ) -> bool {
        let any = |field: &FieldToMatch, transforms: &Transforms, test: &dyn Fn(&[u8]) -> bool| {
            match memo.component(field, transforms, request) {
                Component::Match => true,
                Component::NoMatch => false,
                Component::Values(values) => values.iter().any(|v| test(v)),
            }
        };
        match self {
            Check::Bytes {
                field,
                transforms,
                needle,
                position,
            } => any(field, transforms, &|v| byte_match(v, needle, *position)),
            Check::Regex {
                field,
                transforms,
                regex,
                remember,
                screened,
            } => match memo.component(field, transforms, request) {
                Component::Match => true,
                Component::NoMatch => false,
                Component::Values(values) => {
                    let passed = if *screened {
                        memo.screen(transforms.slot, values)
                    } else {
                        None
                    };
                    values.iter().enumerate().any(|(i, v)| {
                        passed.is_none_or(|p| p[i])
                            && remembered(*remember, v, || regex.get().is_match(v))
                    })
                }
            },
            Check::Size {
                field,
                transforms,
                comparison,
                size,
            } => any(field, transforms, &|v| {
                let n = v.len() as u64;
                match comparison {
                    Comparison::Eq => n == *size,
                    Comparison::Ne => n != *size,
                    Comparison::Le => n <= *size,
                    Comparison::Lt => n < *size,
                    Comparison::Ge => n >= *size,
                    Comparison::Gt => n > *size,
                }
            }),
            Check::Sqli {
                field,
                transforms,
                level,
                remember,
            } => any(field, transforms, &|v| {
                if matches!(field, FieldToMatch::Body(_))
                    && let Some(leaves) = json_leaves(v)
                {
                    return leaves.iter().any(|l| is_sqli(l.as_bytes(), *level));
                }
                remembered(*remember, v, || is_sqli(v, *level))
            }),
            // AWS's XSS statement has no sensitivity; LOW keeps false
            // positives down as its documentation promises.
            Check::Xss {
                field,
                transforms,
                remember,
            } => any(field, transforms, &|v| {
                if matches!(field, FieldToMatch::Body(_))
                    && let Some(leaves) = json_leaves(v)
                {
                    return leaves
                        .iter()
                        .any(|l| is_xss(l.as_bytes(), Sensitivity::Low));
                }
                remembered(*remember, v, || is_xss(v, Sensitivity::Low))
            }),
            Check::RegexSet {
                field,
                transforms,
                patterns,
                remember,
            } => any(field, transforms, &|v| {
                remembered(*remember, v, || patterns.iter().any(|p| p.is_match(v)))
            }),
            Check::IpSet { set, forwarded } => match forwarded {
                None => request.client_ip.is_some_and(|ip| set.contains(ip)),
                Some(config) => {
                    let addresses: Vec<Option<IpAddr>> = request
                        .headers
                        .iter()
                        .filter(|(k, _)| k.eq_ignore_ascii_case(&config.header_name))
                        .flat_map(|(_, v)| v.split(','))
                        .map(|a| a.trim().parse().ok())
                        .collect();
                    let chosen: Vec<Option<IpAddr>> = match config.position.as_deref() {
                        Some("LAST") => addresses.last().copied().into_iter().collect(),
                        Some("ANY") => addresses,
                        _ => addresses.first().copied().into_iter().collect(),
                    };
                    if chosen.is_empty() || chosen.iter().any(Option::is_none) {
                        config.fallback_behavior == Fallback::Match
                    } else {
                        chosen.into_iter().flatten().any(|ip| set.contains(ip))
                    }
                }
            },
            Check::Geo {
                codes,
                forwarded,
                db,
            } => match looked_up(request, forwarded.as_ref()) {
                Ok(ip) => ip
                    .and_then(|ip| db.country(ip))
                    .is_some_and(|country| codes.contains(&country)),
                Err(fallback) => fallback,
            },
            Check::Asn {
                list,
                forwarded,
                db,
            } => match looked_up(request, forwarded.as_ref()) {
                Ok(ip) => ip
                    .and_then(|ip| db.asn(ip))
                    .is_some_and(|asn| list.contains(&asn)),
                Err(fallback) => fallback,
            },
            Check::Label { scope, key } => labels.iter().any(|label| match scope {
                LabelScope::Label => label == key,
                LabelScope::Namespace => label.starts_with(key.as_str()),
            }),
            Check::And(checks) => checks.iter().all(|c| c.matches(request, labels, now, memo)),
            Check::Or(checks) => checks.iter().any(|c| c.matches(request, labels, now, memo)),
            Check::Not(check) => !check.matches(request, labels, now, memo),
            Check::Rate { limiter, .. } => match self.rate_key(request, labels, now, memo) {
                Ok(key) => limiter.hit(&key, now),
                Err(decided) => decided,
            },
        }
    }

    /// The country database of a GeoMatch statement in this check, if any.
    fn geo(&self) -> Option<&Arc<crate::geo::GeoDb>> {
        match self {
            Check::Geo { db, .. } => Some(db),
            Check::And(checks) | Check::Or(checks) => checks.iter().find_map(Check::geo),
            Check::Not(check) => check.geo(),
            Check::Rate {
                scope_down: Some(scope),
                ..
            } => scope.geo(),
            _ => None,
        }
    }

    /// The key a rate-based rule counts this request under, or whether it
    /// matches without counting (out of scope, or no forwarded address).
    fn rate_key<'a>(
        &self,
        request: &WafRequest<'a>,
        labels: &[String],
        now: Instant,
        memo: &Memo<'a, '_>,
    ) -> Result<String, bool> {
        let Check::Rate {
            key,
            custom,
            forwarded,
            scope_down,
            ..
        } = self
        else {
            return Err(false);
        };
        // Only requests in the scope are counted.
        if scope_down
            .as_ref()
            .is_some_and(|scope| !scope.matches(request, labels, now, memo))
        {
            return Err(false);
        }
        let forwarded_ip = || {
            let header = forwarded
                .as_ref()
                .map_or("x-forwarded-for", |f| f.header_name.as_str());
            first_forwarded(request, header)
        };
        Ok(match key {
            AggregateKey::Constant => String::new(),
            AggregateKey::ForwardedIp => match forwarded_ip() {
                Some(ip) => ip_text(ip),
                None => {
                    return Err(forwarded
                        .as_ref()
                        .is_some_and(|f| f.fallback_behavior == Fallback::Match));
                }
            },
            AggregateKey::Ip => request.client_ip.map(ip_text).unwrap_or_default(),
            // A request without one of the parts is not rate limited, as in
            // AWS WAF.
            AggregateKey::CustomKeys => {
                let mut parts = Vec::with_capacity(custom.len());
                for part in custom {
                    parts.push(custom_part(part, request, labels, forwarded_ip).ok_or(false)?);
                }
                parts.join("\u{1f}")
            }
        })
    }
}

/// An address as text, the way `Display` writes it; IPv4 (the common key of
/// a rate-based rule, made once per request) without the formatter.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

/// The address a Geo or ASN statement looks up: the client's, or the
/// first of its forwarded-IP header; `Err` with the statement's verdict
/// when that header has no valid address (its fallback decides).
fn looked_up(
    request: &WafRequest<'_>,
    forwarded: Option<&ForwardedIp>,
) -> Result<Option<IpAddr>, bool> {
    match forwarded {
        None => Ok(request.client_ip),
        Some(config) => first_forwarded(request, &config.header_name)
            .map(Some)
            .ok_or(config.fallback_behavior == Fallback::Match),
    }
}

/// The first address of a forwarded-IP header (`X-Forwarded-For: client,
/// proxy`), if it is one.
fn first_forwarded(request: &WafRequest<'_>, header: &str) -> Option<IpAddr> {
    request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(header))
        .and_then(|(_, v)| v.split(',').next())
        .and_then(|a| a.trim().parse::<IpAddr>().ok())
}

/// One part of a CUSTOM_KEYS aggregation key, `None` when the request
/// lacks it.
fn custom_part(
    part: &CustomKey,
    request: &WafRequest<'_>,
    labels: &[String],
    forwarded_ip: impl Fn() -> Option<IpAddr>,
) -> Option<String> {
    let transformed = |value: &str, list: &[crate::acl::TextTransformation]| {
        let transforms: Vec<Transform> = list.iter().map(|t| t.kind).collect();
        String::from_utf8_lossy(&apply_all(value.as_bytes(), &transforms)).into_owned()
    };
    let query_arg = |name: &str| {
        query_args(request.query)
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let cookie = |name: &str| cookies(request).find(|(k, _)| *k == name).map(|(_, v)| v);
    Some(match part {
        CustomKey::Header(h) => transformed(
            request
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&h.name))?
                .1,
            &h.text_transformations,
        ),
        CustomKey::Cookie(c) => transformed(cookie(&c.name)?, &c.text_transformations),
        CustomKey::QueryArgument(q) => transformed(query_arg(&q.name)?, &q.text_transformations),
        CustomKey::QueryString(_) if request.query.is_empty() => return None,
        CustomKey::QueryString(q) => transformed(request.query, &q.text_transformations),
        CustomKey::UriPath(p) => transformed(request.uri_path, &p.text_transformations),
        CustomKey::HttpMethod(_) => request.method.to_string(),
        CustomKey::Ip(_) => request.client_ip?.to_string(),
        CustomKey::ForwardedIp(_) => forwarded_ip()?.to_string(),
        CustomKey::LabelNamespace(ns) => {
            let names: Vec<&str> = labels
                .iter()
                .filter_map(|l| l.strip_prefix(ns.namespace.as_str()))
                .collect();
            if names.is_empty() {
                return None;
            }
            names.join(",")
        }
    })
}

/// A rate-limit counter shared by gateway replicas (Redis).
pub trait SharedRate: Send + Sync {
    /// Counts one request under `key` and tells whether the key has made
    /// more than `limit` within `window`; an error when the store cannot
    /// be reached in time.
    fn hit<'a>(
        &'a self,
        key: String,
        limit: u64,
        window: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;
}

/// What rate-based rules do while a shared store is unreachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreFailure {
    /// The rule does not match: traffic flows unlimited.
    #[default]
    Open,
    /// The rule matches: its action (usually Block) applies.
    Closed,
}

/// What the web ACL decided for a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Blocked: the custom response, if the action has one (else 403).
    Block(Option<Response>),
}

/// A custom response, its body looked up from the ACL's bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Option<String>,
    pub headers: Vec<(String, String)>,
}

/// A rule that matched without deciding: a Count, in the web ACL or in a
/// rule group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    /// The web ACL's rule.
    pub rule: String,
    /// The rule group (`AWS#AWSManagedRulesCommonRuleSet`, or a group's
    /// ARN), when the match was inside one.
    pub group: Option<String>,
    /// The rule group's rule, when the match was inside a group.
    pub group_rule: Option<String>,
    /// The rule's own action, before an override or exclusion made it a
    /// Count (`BLOCK`, `ALLOW`, `COUNT`, `CAPTCHA`, `CHALLENGE`).
    pub action: &'static str,
    /// Counted because of `ExcludedRules`, a `RuleActionOverrides` entry or
    /// the group's `OverrideAction: Count`.
    pub overridden: bool,
    /// Counted because the group's `ExcludedRules` names it (AWS logs
    /// these apart, as `EXCLUDED_AS_COUNT`).
    pub excluded: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    /// The web ACL rule that decided, `None` for the default action.
    pub terminating_rule: Option<String>,
    /// When that rule is a rule group: the group (as in
    /// [`RuleMatch::group`]) and its rule that decided.
    pub terminating_group: Option<String>,
    pub terminating_group_rule: Option<String>,
    /// Labels of every matching rule, in evaluation order.
    pub labels: Vec<String>,
    /// Headers Count and Allow actions insert into the forwarded request
    /// (`x-amzn-waf-` + name).
    pub inserted_headers: Vec<(String, String)>,
    /// Web ACL rules that matched with Count (a group's counted rule as
    /// `group-rule#rule`).
    pub counted: Vec<String>,
    /// Every Count match, with its group rule, for logs.
    pub matches: Vec<RuleMatch>,
    /// The web ACL rules (by index in [`WebAcl::rules`]) whose rule group
    /// the request was evaluated against, for logs.
    pub groups: Vec<usize>,
    /// Set when a CAPTCHA or Challenge action was taken as a Block.
    pub note: Option<String>,
    /// Set when a shared rate store failed and `StoreFailure` decided.
    pub store_error: Option<String>,
}

/// A web ACL rule, compiled; or a rule group's rules in its place.
#[derive(Debug)]
enum Entry {
    Rule {
        /// The rule's index in the web ACL.
        index: usize,
        check: Check,
        /// The country database of a GeoMatch in it (for geo labels).
        geo: Option<Arc<crate::geo::GeoDb>>,
    },
    Group(Box<GroupEntry>),
}

/// A rule group as one web ACL rule evaluates it.
#[derive(Debug)]
struct GroupEntry {
    index: usize,
    /// `AWS#AWSManagedRulesCommonRuleSet`, `palisade#...`, or the ARN.
    id: String,
    scope_down: Option<Check>,
    /// `OverrideAction: Count`.
    count_all: bool,
    rules: Vec<GroupRule>,
    bodies: BTreeMap<String, ResponseBody>,
}

#[derive(Debug)]
struct GroupRule {
    name: String,
    check: Check,
    /// The action after `ExcludedRules` and `RuleActionOverrides`.
    action: Action,
    /// The rule's own action's name, when an exclusion or override changed
    /// it.
    overridden: Option<&'static str>,
    /// Named in `ExcludedRules`.
    excluded: bool,
    /// Fully qualified.
    labels: Vec<String>,
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Block(_) => "BLOCK",
        Action::Allow(_) => "ALLOW",
        Action::Count(_) => "COUNT",
        Action::Captcha(_) => "CAPTCHA",
        Action::Challenge(_) => "CHALLENGE",
    }
}

/// A web ACL ready to evaluate requests.
#[derive(Debug)]
pub struct Evaluator {
    acl: WebAcl,
    entries: Vec<Entry>,
    /// The distinct transformed components the rules inspect.
    slots: Vec<SlotPlan>,
    /// Per slot, its screen if it has one.
    screens: Vec<Option<Screen>>,
    /// What compiling found worth saying (groups that cannot run here,
    /// search strings read as text).
    warnings: Vec<String>,
}

impl Evaluator {
    /// Compiles every rule against the loaded `sets` (and the rule groups
    /// palisade ships); a rule that cannot be evaluated is an error naming
    /// it.
    pub fn new(acl: WebAcl, sets: &Sets) -> Result<Evaluator, String> {
        let slots = RefCell::new(SlotTable::default());
        let screenable = RefCell::new(Vec::new());
        let regexes = RefCell::new(HashMap::new());
        let warnings = RefCell::new(acl.warnings.clone());
        let mut entries = Vec::with_capacity(acl.rules.len());
        for (index, rule) in acl.rules.iter().enumerate() {
            let ctx = Ctx {
                sets,
                slots: &slots,
                blobs: acl.blobs,
                warnings: &warnings,
                namespace: None,
                rule: &rule.name,
                screenable: &screenable,
                regexes: &regexes,
                shipped: false,
            };
            let entry = match &rule.statement {
                Statement::ManagedRuleGroupStatement(_)
                | Statement::RuleGroupReferenceStatement(_) => {
                    group_entry(index, rule, &ctx, acl.strict)
                        .map_err(|e| format!("rule {:?}: {e}", rule.name))?
                        .map(|g| Entry::Group(Box::new(g)))
                }
                statement => {
                    let check = compile(statement, &ctx)
                        .map_err(|e| format!("rule {:?}: {e}", rule.name))?;
                    let geo = check.geo().cloned();
                    Some(Entry::Rule { index, check, geo })
                }
            };
            entries.extend(entry);
        }
        let slots = slots.into_inner().plans;
        Ok(Evaluator {
            screens: screens(slots.len(), screenable.into_inner()),
            slots,
            warnings: warnings.into_inner(),
            acl,
            entries,
        })
    }

    /// What was read or compiled that does not do all it says here: fields
    /// palisade ignores, rule groups that need AWS's own data, search
    /// strings read as text.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The web ACL it evaluates.
    pub fn acl(&self) -> &WebAcl {
        &self.acl
    }

    /// Takes over the in-memory counters of `previous`'s rate-based rules
    /// that have the same name and the same counting (limit, window,
    /// aggregation): a reloaded web ACL does not forget who is over a
    /// limit. Counters of changed or removed rules start again.
    pub fn keep_counters_of(&mut self, previous: &Evaluator) {
        let counting = |check: &Check| match check {
            Check::Rate {
                limit,
                window,
                key,
                custom,
                forwarded,
                ..
            } => Some(format!(
                "{limit}/{window:?}/{key:?}/{custom:?}/{forwarded:?}"
            )),
            _ => None,
        };
        let previous_rates: Vec<(&str, String, &Arc<MemoryLimiter>)> = previous
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Rule { index, check, .. } => match check {
                    Check::Rate { limiter, .. } => Some((
                        previous.acl.rules[*index].name.as_str(),
                        counting(check)?,
                        limiter,
                    )),
                    _ => None,
                },
                Entry::Group(_) => None,
            })
            .collect();
        for entry in &mut self.entries {
            let Entry::Rule { index, check, .. } = entry else {
                continue;
            };
            let Some(mine) = counting(check) else {
                continue;
            };
            let name = &self.acl.rules[*index].name;
            if let Some((_, _, kept)) = previous_rates
                .iter()
                .find(|(n, c, _)| *n == name.as_str() && *c == mine)
                && let Check::Rate { limiter, .. } = check
            {
                *limiter = Arc::clone(kept);
            }
        }
    }

    fn response(
        &self,
        custom: Option<&CustomResponse>,
        bodies: &BTreeMap<String, ResponseBody>,
    ) -> Option<Response> {
        let custom = custom?;
        let body = custom
            .custom_response_body_key
            .as_ref()
            .and_then(|k| bodies.get(k).or_else(|| self.acl.response_bodies.get(k)));
        Some(Response {
            status: custom.response_code,
            content_type: body.map(|b| match b.content_type.as_str() {
                "APPLICATION_JSON" => "application/json".to_string(),
                "TEXT_HTML" => "text/html".to_string(),
                _ => "text/plain".to_string(),
            }),
            body: body.map(|b| b.content.clone()),
            headers: custom
                .response_headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
        })
    }

    pub fn evaluate(&self, request: &WafRequest<'_>) -> Verdict {
        self.evaluate_at(request, Instant::now())
    }

    /// [`Evaluator::evaluate`] as if at `now` (rate-based rules count time).
    pub fn evaluate_at(&self, request: &WafRequest<'_>, now: Instant) -> Verdict {
        // Without a shared store nothing awaits: one poll finishes it.
        let run = std::pin::pin!(self.run(request, now, None));
        match run.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(verdict) => verdict,
            Poll::Pending => unreachable!("in-memory evaluation does not wait"),
        }
    }

    /// Evaluates with rate-based rules counted in `store`, shared by every
    /// replica; `failure` decides them while the store is unreachable.
    pub async fn evaluate_shared(
        &self,
        request: &WafRequest<'_>,
        store: &dyn SharedRate,
        failure: StoreFailure,
    ) -> Verdict {
        self.run(request, Instant::now(), Some((store, failure)))
            .await
    }

    /// The decision an action takes: `None` for Count (evaluation goes on).
    fn decide(
        &self,
        action: &Action,
        rule: &str,
        bodies: &BTreeMap<String, ResponseBody>,
        verdict: &mut Verdict,
    ) -> Option<Decision> {
        match action {
            Action::Count(count) => {
                if let Some(handling) = &count.custom_request_handling {
                    insert(verdict, &handling.insert_headers);
                }
                None
            }
            Action::Allow(allow) => {
                if let Some(handling) = &allow.custom_request_handling {
                    insert(verdict, &handling.insert_headers);
                }
                Some(Decision::Allow)
            }
            Action::Block(block) => Some(Decision::Block(
                self.response(block.custom_response.as_ref(), bodies),
            )),
            Action::Captcha(_) | Action::Challenge(_) => {
                verdict.note = Some(format!(
                    "rule {rule:?} asks for a CAPTCHA or challenge; blocked instead"
                ));
                Some(Decision::Block(None))
            }
        }
    }

    async fn run(
        &self,
        request: &WafRequest<'_>,
        now: Instant,
        shared: Option<(&dyn SharedRate, StoreFailure)>,
    ) -> Verdict {
        let memo = Memo::new(&self.slots, &self.screens);
        let mut verdict = Verdict {
            decision: Decision::Allow,
            terminating_rule: None,
            terminating_group: None,
            terminating_group_rule: None,
            labels: Vec::new(),
            inserted_headers: Vec::new(),
            counted: Vec::new(),
            matches: Vec::new(),
            groups: Vec::new(),
            note: None,
            store_error: None,
        };
        let no_bodies = BTreeMap::new();
        for entry in &self.entries {
            let (index, check, geo) = match entry {
                Entry::Rule { index, check, geo } => (*index, check, geo),
                Entry::Group(group) => {
                    if let Some(decision) = self.run_group(group, request, now, &memo, &mut verdict)
                    {
                        verdict.decision = decision;
                        return verdict;
                    }
                    continue;
                }
            };
            let rule: &Rule = &self.acl.rules[index];
            let matched = match (check, shared) {
                (Check::Rate { limit, window, .. }, Some((store, failure))) => {
                    match check.rate_key(request, &verdict.labels, now, &memo) {
                        Err(decided) => decided,
                        Ok(key) => {
                            let key = format!("{}:{}:{key}", self.acl.name, rule.name);
                            match store.hit(key, *limit, *window).await {
                                Ok(over) => over,
                                Err(e) => {
                                    verdict.store_error = Some(e);
                                    failure == StoreFailure::Closed
                                }
                            }
                        }
                    }
                }
                _ => check.matches(request, &verdict.labels, now, &memo),
            };
            // As in AWS, a request a GeoMatch statement looked at carries its
            // country as a label for the rules after it, matched or not.
            if let Some(db) = geo
                && let Some(country) = request.client_ip.and_then(|ip| db.country(ip))
            {
                let label = format!("awswaf:clientip:geo:country:{country}");
                if !verdict.labels.contains(&label) {
                    verdict.labels.push(label);
                }
            }
            if !matched {
                continue;
            }
            verdict
                .labels
                .extend(rule.rule_labels.iter().map(|l| l.name.clone()));
            let Some(action) = &rule.action else {
                continue;
            };
            match self.decide(action, &rule.name, &no_bodies, &mut verdict) {
                None => {
                    verdict.counted.push(rule.name.clone());
                    verdict.matches.push(RuleMatch {
                        rule: rule.name.clone(),
                        group: None,
                        group_rule: None,
                        action: "COUNT",
                        overridden: false,
                        excluded: false,
                    });
                }
                Some(decision) => {
                    verdict.decision = decision;
                    verdict.terminating_rule = Some(rule.name.clone());
                    return verdict;
                }
            }
        }
        verdict.decision = match &self.acl.default_action {
            Action::Block(block) => {
                Decision::Block(self.response(block.custom_response.as_ref(), &no_bodies))
            }
            Action::Allow(allow) => {
                if let Some(handling) = &allow.custom_request_handling {
                    insert(&mut verdict, &handling.insert_headers);
                }
                Decision::Allow
            }
            _ => Decision::Allow,
        };
        verdict
    }

    /// A rule group's rules in order, as the web ACL rule at its place:
    /// `Some` when one of them decides.
    fn run_group<'a>(
        &self,
        group: &GroupEntry,
        request: &WafRequest<'a>,
        now: Instant,
        memo: &Memo<'a, '_>,
        verdict: &mut Verdict,
    ) -> Option<Decision> {
        if let Some(scope) = &group.scope_down
            && !scope.matches(request, &verdict.labels, now, memo)
        {
            return None;
        }
        let acl_rule = &self.acl.rules[group.index].name;
        verdict.groups.push(group.index);
        for rule in &group.rules {
            if !rule.check.matches(request, &verdict.labels, now, memo) {
                continue;
            }
            verdict.labels.extend(rule.labels.iter().cloned());
            let counted = group.count_all && !matches!(rule.action, Action::Count(_));
            let decision = if counted {
                None
            } else {
                self.decide(&rule.action, &rule.name, &group.bodies, verdict)
            };
            match decision {
                None => {
                    verdict.counted.push(format!("{acl_rule}#{}", rule.name));
                    verdict.matches.push(RuleMatch {
                        rule: acl_rule.clone(),
                        group: Some(group.id.clone()),
                        group_rule: Some(rule.name.clone()),
                        action: rule.overridden.unwrap_or(action_name(&rule.action)),
                        overridden: counted || rule.overridden.is_some(),
                        excluded: rule.excluded,
                    });
                }
                Some(decision) => {
                    verdict.terminating_rule = Some(acl_rule.clone());
                    verdict.terminating_group = Some(group.id.clone());
                    verdict.terminating_group_rule = Some(rule.name.clone());
                    return Some(decision);
                }
            }
        }
        None
    }
}

fn insert(verdict: &mut Verdict, headers: &[NamedValue]) {
    verdict.inserted_headers.extend(
        headers
            .iter()
            .map(|h| (format!("x-amzn-waf-{}", h.name), h.value.clone())),
    );
}

/// The group a web ACL rule names, compiled with its exclusions and
/// overrides; `None` for a group that needs AWS's own data (a warning says
/// so; with `strict`, an error).
fn group_entry(
    index: usize,
    rule: &Rule,
    ctx: &Ctx<'_>,
    strict: bool,
) -> Result<Option<GroupEntry>, String> {
    let shipped;
    let is_shipped = matches!(&rule.statement, Statement::ManagedRuleGroupStatement(m)
        if matches!(crate::managed::find(&m.vendor_name, &m.name), Some(crate::managed::Shipped::Group(_))));
    let (group, id, scope_down, excluded, overrides): (&RuleGroup, String, _, _, _) = match &rule
        .statement
    {
        Statement::ManagedRuleGroupStatement(m) => {
            let id = format!("{}#{}", m.vendor_name, m.name);
            match crate::managed::find(&m.vendor_name, &m.name) {
                Some(crate::managed::Shipped::Group(g)) => {
                    shipped = g;
                    (
                        shipped,
                        id,
                        m.scope_down_statement.as_deref(),
                        &m.excluded_rules,
                        &m.rule_action_overrides,
                    )
                }
                Some(crate::managed::Shipped::NeedsAws(what)) => {
                    let message = format!(
                        "managed rule group {}/{} needs {what}, which AWS does not publish; it evaluates as no match here",
                        m.vendor_name, m.name
                    );
                    if strict {
                        return Err(message);
                    }
                    ctx.warnings
                        .borrow_mut()
                        .push(format!("rule {:?}: {message}", rule.name));
                    return Ok(None);
                }
                None => {
                    return Err(format!(
                        "no managed rule group {}/{} (palisade has: {})",
                        m.vendor_name,
                        m.name,
                        crate::managed::names().join(", ")
                    ));
                }
            }
        }
        Statement::RuleGroupReferenceStatement(r) => {
            let group = ctx.sets.rule_group(&r.arn).ok_or_else(|| {
                    format!(
                        "no rule group with ARN {:?} was loaded (give its file with the web ACL's rule groups)",
                        r.arn
                    )
                })?;
            (
                group,
                r.arn.clone(),
                None,
                &r.excluded_rules,
                &r.rule_action_overrides,
            )
        }
        _ => return Err("not a rule group statement".to_string()),
    };
    for named in excluded
        .iter()
        .map(|e| &e.name)
        .chain(overrides.iter().map(|o| &o.name))
    {
        if !group.rules.iter().any(|r| r.name == *named) {
            return Err(format!(
                "the rule group {id} has no rule {named:?} (excluded or overridden)"
            ));
        }
    }
    let group_ctx = Ctx {
        sets: ctx.sets,
        slots: ctx.slots,
        blobs: group.blobs,
        warnings: ctx.warnings,
        namespace: Some(&group.label_namespace),
        rule: ctx.rule,
        screenable: ctx.screenable,
        regexes: ctx.regexes,
        shipped: is_shipped,
    };
    let mut rules = Vec::with_capacity(group.rules.len());
    for r in &group.rules {
        let own = r
            .action
            .clone()
            .ok_or_else(|| format!("rule group rule {:?} has no Action", r.name))?;
        let is_excluded = excluded.iter().any(|e| e.name == r.name);
        let (action, overridden) = if let Some(o) = overrides.iter().find(|o| o.name == r.name) {
            (o.action_to_use.clone(), Some(action_name(&own)))
        } else if is_excluded {
            (Action::Count(Default::default()), Some(action_name(&own)))
        } else {
            (own, None)
        };
        rules.push(GroupRule {
            name: r.name.clone(),
            check: compile(&r.statement, &group_ctx)
                .map_err(|e| format!("rule group {id}, rule {:?}: {e}", r.name))?,
            action,
            overridden,
            excluded: is_excluded && !overrides.iter().any(|o| o.name == r.name),
            labels: r
                .rule_labels
                .iter()
                .map(|l| {
                    if l.name.starts_with("awswaf:") {
                        l.name.clone()
                    } else {
                        format!("{}{}", group.label_namespace, l.name)
                    }
                })
                .collect(),
        });
    }
    let scope_down = match scope_down {
        Some(s) => Some(compile(s, ctx).map_err(|e| format!("ScopeDownStatement: {e}"))?),
        None => None,
    };
    Ok(Some(GroupEntry {
        index,
        id,
        scope_down,
        count_all: rule.override_action == Some(OverrideAction::Count(Default::default())),
        rules,
        bodies: group.response_bodies.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_set_is_one_alternation_with_each_patterns_flags() {
        let patterns: Vec<regex::bytes::Regex> = ["(?i)sqlmap|nikto", "^curl/", "(?x) go buster"]
            .iter()
            .map(|p| regex::bytes::Regex::new(p).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let one = one_pass(&patterns);
        assert_eq!(one.len(), 1);
        let matches = |v: &str| one[0].is_match(v.as_bytes());
        assert!(matches("SQLMap/1.7"));
        assert!(matches("curl/8.5"));
        assert!(!matches("CURL/8.5"), "the second pattern is case-sensitive");
        assert!(!matches("x curl/8.5"), "and anchored");
        assert!(matches("gobuster"), "the third ignores spaces in its text");
        assert!(!matches("go buster"));
        let commented = [r"(?x) sqlmap # a scanner", "nikto"]
            .map(|p| regex::bytes::Regex::new(p).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(one_pass(&commented).len(), 2);
    }

    #[test]
    fn addresses_read_as_display_writes_them() {
        for octet in [0u8, 1, 9, 10, 42, 99, 100, 101, 199, 200, 255] {
            for ip in [
                std::net::Ipv4Addr::new(octet, 0, 255, octet),
                std::net::Ipv4Addr::new(10, octet, octet, 7),
            ] {
                assert_eq!(ip_text(IpAddr::V4(ip)), ip.to_string());
            }
        }
        let v6: IpAddr = "2001:db8::1".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ip_text(v6), "2001:db8::1");
    }

    const ACL: &str = r#"{
      "Name": "starter",
      "DefaultAction": {"Allow": {}},
      "CustomResponseBodies": {"too-big": {"ContentType": "APPLICATION_JSON", "Content": "{\"message\": \"too big\"}"}},
      "Rules": [
        {"Name": "body-size", "Priority": 0, "Action": {"Block": {"CustomResponse": {"ResponseCode": 413, "CustomResponseBodyKey": "too-big"}}},
         "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
            "ComparisonOperator": "GT", "Size": 1024, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
        {"Name": "bad-bots", "Priority": 1, "Action": {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "bot", "Value": "yes"}]}}},
         "RuleLabels": [{"Name": "bots:scanner"}],
         "Statement": {"ByteMatchStatement": {"SearchString": "sqlmap", "PositionalConstraint": "CONTAINS",
            "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}}, "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}},
        {"Name": "scanners-on-admin", "Priority": 2, "Action": {"Block": {}},
         "Statement": {"AndStatement": {"Statements": [
            {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "bots:"}},
            {"RegexMatchStatement": {"RegexString": "^/admin(/|$)", "FieldToMatch": {"UriPath": {}},
               "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "NORMALIZE_PATH"}]}}]}}},
        {"Name": "only-get-and-post", "Priority": 3, "Action": {"Block": {}},
         "Statement": {"NotStatement": {"Statement": {"OrStatement": {"Statements": [
            {"ByteMatchStatement": {"SearchString": "GET", "PositionalConstraint": "EXACTLY", "FieldToMatch": {"Method": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
            {"ByteMatchStatement": {"SearchStringBase64": "UE9TVA==", "PositionalConstraint": "EXACTLY", "FieldToMatch": {"Method": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}]}}}}},
        {"Name": "drop-table", "Priority": 4, "Action": {"Block": {}},
         "Statement": {"ByteMatchStatement": {"SearchString": "drop", "PositionalConstraint": "CONTAINS_WORD",
            "FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]}}}
      ]
    }"#;

    fn evaluator() -> Evaluator {
        let acl = WebAcl::parse(ACL, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn request<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        agent: &'a str,
        body: &'a [u8],
    ) -> WafRequest<'a> {
        WafRequest {
            method,
            uri_path: path,
            query,
            headers: vec![("User-Agent", agent)],
            body,
            client_ip: None,
        }
    }

    #[test]
    fn an_oversized_body_gets_the_custom_response() {
        let big = vec![b'x'; 2000];
        let verdict = evaluator().evaluate(&request("POST", "/items", "", "curl", &big));
        assert_eq!(verdict.terminating_rule.as_deref(), Some("body-size"));
        let Decision::Block(Some(response)) = verdict.decision else {
            panic!("{verdict:?}");
        };
        assert_eq!(response.status, 413);
        assert_eq!(response.body.as_deref(), Some(r#"{"message": "too big"}"#));
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
    }

    #[test]
    fn counted_rules_label_and_insert_headers_and_later_rules_see_the_labels() {
        let scanner = evaluator().evaluate(&request("GET", "/items", "", "SQLMap/1.7", b""));
        assert_eq!(scanner.decision, Decision::Allow);
        assert_eq!(scanner.counted, ["bad-bots"]);
        assert_eq!(scanner.labels, ["bots:scanner"]);
        assert_eq!(
            scanner.inserted_headers,
            [("x-amzn-waf-bot".to_string(), "yes".to_string())]
        );
        let admin = evaluator().evaluate(&request("GET", "/x/..%2Fadmin", "", "sqlmap", b""));
        assert_eq!(admin.terminating_rule.as_deref(), Some("scanners-on-admin"));
        assert_eq!(admin.decision, Decision::Block(None));
        let person = evaluator().evaluate(&request("GET", "/admin", "", "Firefox", b""));
        assert_eq!(person.decision, Decision::Allow);
        assert_eq!(person.terminating_rule, None);
    }

    #[test]
    fn not_or_and_word_matches() {
        let delete = evaluator().evaluate(&request("DELETE", "/items", "", "curl", b""));
        assert_eq!(
            delete.terminating_rule.as_deref(),
            Some("only-get-and-post")
        );
        let post = evaluator().evaluate(&request("POST", "/items", "", "curl", b""));
        assert_eq!(post.decision, Decision::Allow);
        let drop = evaluator().evaluate(&request(
            "GET",
            "/items",
            "q=1%3B%20DROP%20table",
            "curl",
            b"",
        ));
        assert_eq!(drop.terminating_rule.as_deref(), Some("drop-table"));
        let dropdown = evaluator().evaluate(&request("GET", "/items", "q=dropdown", "curl", b""));
        assert_eq!(dropdown.decision, Decision::Allow);
    }

    #[test]
    fn geo_match_looks_up_the_client_or_forwarded_address() {
        let geo = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "geo", "Priority": 0, "Action": {"Block": {}},
           "Statement": {"GeoMatchStatement": {"CountryCodes": ["AU", "FR"]}}},
          {"Name": "geo-forwarded", "Priority": 1, "Action": {"Block": {}},
           "Statement": {"GeoMatchStatement": {"CountryCodes": ["DE"], "ForwardedIPConfig":
             {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}}}]}"#;
        let acl = WebAcl::parse(geo, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let err = Evaluator::new(acl.clone(), &Sets::default())
            .err()
            .unwrap_or_default();
        assert!(
            err.contains("rule \"geo\": GeoMatchStatement needs a country database"),
            "{err}"
        );
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/geo-country.mmdb");
        let sets = Sets {
            geo: Some(Arc::new(
                crate::geo::GeoDb::open(&path).unwrap_or_else(|e| panic!("{e}")),
            )),
            ..Sets::default()
        };
        let evaluator = Evaluator::new(acl, &sets).unwrap_or_else(|e| panic!("{e}"));
        let rule = |client: &str, forwarded: Option<&'static str>| {
            let mut r = request("GET", "/", "", "curl", b"");
            r.client_ip = client.parse().ok();
            if let Some(f) = forwarded {
                r.headers.push(("X-Forwarded-For", f));
            }
            evaluator.evaluate(&r).terminating_rule
        };
        assert_eq!(
            rule("203.0.113.5", Some("198.51.100.1")).as_deref(),
            Some("geo")
        );
        assert_eq!(
            rule("2001:db8::7", Some("198.51.100.1")).as_deref(),
            Some("geo")
        );
        assert_eq!(rule("198.51.100.5", Some("198.51.100.1")), None);
        assert_eq!(
            rule("198.51.100.5", Some("192.0.2.44, 203.0.113.1")).as_deref(),
            Some("geo-forwarded")
        );
        assert_eq!(
            rule("198.51.100.5", Some("not-an-address")).as_deref(),
            Some("geo-forwarded"),
            "fallback MATCH"
        );
        let labelled = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "us", "Priority": 0, "Action": {"Count": {}},
           "Statement": {"GeoMatchStatement": {"CountryCodes": ["US"]}}},
          {"Name": "by-label", "Priority": 1, "Action": {"Block": {}},
           "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "awswaf:clientip:geo:country:AU"}}}]}"#;
        let acl = WebAcl::parse(labelled, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let by_label = Evaluator::new(acl, &sets).unwrap_or_else(|e| panic!("{e}"));
        let mut r = request("GET", "/", "", "curl", b"");
        r.client_ip = "203.0.113.5".parse().ok();
        let verdict = by_label.evaluate(&r);
        assert_eq!(verdict.terminating_rule.as_deref(), Some("by-label"));
        assert_eq!(verdict.labels, ["awswaf:clientip:geo:country:AU"]);
        let lower = geo.replace("\"AU\"", "\"au\"");
        let acl = WebAcl::parse(&lower, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let err = Evaluator::new(acl, &sets).err().unwrap_or_default();
        assert!(err.contains("\"au\" is not an ISO 3166-1"), "{err}");
    }

    #[test]
    fn sqli_and_xss_statements_inspect_their_component_after_transformations() {
        let acl = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "sqli-query", "Priority": 0, "Action": {"Block": {}},
           "Statement": {"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}},
              "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}},
          {"Name": "xss-body", "Priority": 1, "Action": {"Block": {}},
           "Statement": {"XssMatchStatement": {"FieldToMatch": {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE"}},
              "TextTransformations": [{"Priority": 0, "Type": "HTML_ENTITY_DECODE"}]}}}]}"#;
        let acl = WebAcl::parse(acl, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
        let verdict = |query: &str, body: &[u8]| {
            let mut r = request("POST", "/items", query, "curl", b"");
            r.body = body;
            r.headers.push(("Content-Type", "application/json"));
            evaluator.evaluate(&r).terminating_rule
        };
        assert_eq!(
            verdict("id=1%27%20or%20%271%27%3D%271", b"{}").as_deref(),
            Some("sqli-query")
        );
        assert_eq!(verdict("name=O%27Reilly&q=rock+%27n%27+roll", b"{}"), None);
        assert_eq!(
            verdict("", br#"{"bio": "&lt;img src=x onerror=alert(1)&gt;"}"#).as_deref(),
            Some("xss-body")
        );
        assert_eq!(verdict("", br#"{"bio": "I <3 fish & chips"}"#), None);
    }

    #[test]
    fn remembered_header_verdicts_are_each_requests_own() {
        // SQLi at LOW and at HIGH, XSS and two regexes on the same
        // headers: a verdict remembered for one detector is never
        // another's.
        let acl = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "sqli-low", "Priority": 0, "Action": {"Block": {}},
           "Statement": {"SqliMatchStatement": {"FieldToMatch": {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}},
              "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
          {"Name": "xss", "Priority": 1, "Action": {"Block": {}},
           "Statement": {"XssMatchStatement": {"FieldToMatch": {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}},
              "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
          {"Name": "sqli-high", "Priority": 2, "Action": {"Block": {}},
           "Statement": {"SqliMatchStatement": {"FieldToMatch": {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}},
              "SensitivityLevel": "HIGH", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
          {"Name": "curl", "Priority": 3, "Action": {"Block": {}},
           "Statement": {"RegexMatchStatement": {"RegexString": "^curl/", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
              "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
          {"Name": "wget", "Priority": 4, "Action": {"Block": {}},
           "Statement": {"RegexMatchStatement": {"RegexString": "^wget/", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
              "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}}]}"#;
        let acl = WebAcl::parse(acl, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
        let verdict = |agent: &str, cookie: &str| {
            let mut r = request("GET", "/", "", agent, b"");
            r.headers.push(("Cookie", cookie));
            evaluator.evaluate(&r).terminating_rule
        };
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64)", "s=1", None),
            ("1' or '1'='1", "s=1", Some("sqli-low")),
            ("<script>alert(1)</script>", "s=1", Some("xss")),
            // Prose-like SELECT is flagged at HIGH only: the cookie rule's.
            (
                "Mozilla/5.0 (X11; Linux x86_64)",
                "s=select name from users",
                Some("sqli-high"),
            ),
            ("curl/8.5", "s=abc", Some("curl")),
            ("wget/1.21", "s=abc", Some("wget")),
            ("Mozilla/5.0 (X11; Linux x86_64)", "s=abc", None),
        ];
        for round in 0..3 {
            for (agent, cookie, expected) in cases {
                assert_eq!(
                    verdict(agent, cookie).as_deref(),
                    expected,
                    "round {round}: {agent} / {cookie}"
                );
            }
        }
    }

    #[test]
    fn ip_sets_match_the_client_or_its_forwarded_address() {
        let acl = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "direct", "Priority": 0, "Action": {"Block": {}},
           "Statement": {"IPSetReferenceStatement": {"ARN": "arn:blocked"}}},
          {"Name": "forwarded", "Priority": 1, "Action": {"Block": {}},
           "Statement": {"IPSetReferenceStatement": {"ARN": "arn:blocked", "IPSetForwardedIPConfig":
              {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH", "Position": "FIRST"}}}}]}"#;
        let mut sets = Sets::default();
        let set = crate::sets::parse_set(
            r#"{"IPSet": {"Name": "blocked", "ARN": "arn:blocked", "Addresses": ["203.0.113.0/24"]}}"#,
            "blocked.json",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        sets.add(set);
        let acl = WebAcl::parse(acl, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl.clone(), &sets).unwrap_or_else(|e| panic!("{e}"));
        let mut request = request("GET", "/", "", "curl", b"");
        request.client_ip = "203.0.113.9".parse().ok();
        assert_eq!(
            evaluator.evaluate(&request).terminating_rule.as_deref(),
            Some("direct")
        );
        request.client_ip = "192.0.2.1".parse().ok();
        assert_eq!(evaluator.evaluate(&request).decision, Decision::Allow);
        request
            .headers
            .push(("X-Forwarded-For", "203.0.113.50, 10.0.0.1"));
        assert_eq!(
            evaluator.evaluate(&request).terminating_rule.as_deref(),
            Some("forwarded")
        );
        request.headers.pop();
        request.headers.push(("X-Forwarded-For", "garbage"));
        assert_eq!(
            evaluator.evaluate(&request).decision,
            Decision::Allow,
            "NO_MATCH fallback"
        );
        let missing = Evaluator::new(acl, &Sets::default())
            .err()
            .unwrap_or_default();
        assert!(
            missing.contains("no IP set with ARN \"arn:blocked\""),
            "{missing}"
        );
    }

    #[test]
    fn the_seed_rate_rule_blocks_the_101st_request_with_its_response_then_recovers() {
        let acl = r#"{"Name": "a", "DefaultAction": {"Allow": {}},
          "CustomResponseBodies": {"slow": {"ContentType": "TEXT_PLAIN", "Content": "slow down"}},
          "Rules": [{"Name": "rate", "Priority": 0,
            "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow"}}},
            "Statement": {"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}}}]}"#;
        let acl = WebAcl::parse(acl, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut request = request("GET", "/", "", "curl", b"");
        request.client_ip = "198.51.100.7".parse().ok();
        let start = Instant::now();
        for i in 0..100 {
            let verdict = evaluator.evaluate_at(&request, start + Duration::from_millis(i));
            assert_eq!(verdict.decision, Decision::Allow, "request {}", i + 1);
        }
        let blocked = evaluator.evaluate_at(&request, start + Duration::from_millis(200));
        let Decision::Block(Some(response)) = blocked.decision else {
            panic!("{blocked:?}");
        };
        assert_eq!(
            (response.status, response.body.as_deref()),
            (429, Some("slow down"))
        );
        assert_eq!(response.content_type.as_deref(), Some("text/plain"));
        let other = WafRequest {
            client_ip: "192.0.2.1".parse().ok(),
            ..request.clone()
        };
        assert_eq!(
            evaluator
                .evaluate_at(&other, start + Duration::from_millis(300))
                .decision,
            Decision::Allow
        );
        let later = evaluator.evaluate_at(&request, start + Duration::from_secs(61));
        assert_eq!(
            later.decision,
            Decision::Allow,
            "allowed again after the window"
        );
    }

    #[test]
    fn custom_keys_count_each_combination_and_skip_requests_missing_a_part() {
        let acl = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "tier", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "tier:free"}],
           "Statement": {"ByteMatchStatement": {"SearchString": "free", "PositionalConstraint": "EXACTLY",
              "FieldToMatch": {"SingleQueryArgument": {"Name": "plan"}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
          {"Name": "per-key", "Priority": 1, "Action": {"Block": {}},
           "Statement": {"RateBasedStatement": {"Limit": 2, "EvaluationWindowSec": 60, "AggregateKeyType": "CUSTOM_KEYS",
              "CustomKeys": [
                {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
                {"HTTPMethod": {}},
                {"LabelNamespace": {"Namespace": "tier:"}}]}}}]}"#;
        let acl = WebAcl::parse(acl, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
        let start = Instant::now();
        let send = |key: Option<&'static str>, method: &'static str, at: u64| {
            let mut r = request(method, "/", "plan=free", "curl", b"");
            if let Some(key) = key {
                r.headers.push(("X-Api-Key", key));
            }
            evaluator
                .evaluate_at(&r, start + Duration::from_millis(at))
                .terminating_rule
        };
        assert_eq!(send(Some("ABC"), "GET", 1), None);
        assert_eq!(send(Some("abc"), "GET", 2), None, "LOWERCASE makes one key");
        assert_eq!(send(Some("abc"), "GET", 3).as_deref(), Some("per-key"));
        assert_eq!(
            send(Some("abc"), "POST", 4),
            None,
            "another method, another key"
        );
        assert_eq!(send(Some("xyz"), "GET", 5), None);
        for at in 6..10 {
            assert_eq!(send(None, "GET", at), None, "no key header: not limited");
        }
        let mut unlabelled = request("GET", "/", "plan=paid", "curl", b"");
        unlabelled.headers.push(("X-Api-Key", "abc"));
        let verdict = evaluator.evaluate_at(&unlabelled, start + Duration::from_millis(11));
        assert_eq!(verdict.terminating_rule, None, "no label in the namespace");

        let wrong = r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [{"Name": "r", "Priority": 0, "Action": {"Block": {}},
          "Statement": {"RateBasedStatement": {"Limit": 2, "AggregateKeyType": "IP", "CustomKeys": [{"HTTPMethod": {}}]}}}]}"#;
        let acl = WebAcl::parse(wrong, "acl.json").unwrap_or_else(|e| panic!("{e}"));
        let err = Evaluator::new(acl, &Sets::default())
            .err()
            .unwrap_or_default();
        assert!(
            err.contains("rule \"r\": CustomKeys are only read with"),
            "{err}"
        );
        let unknown = wrong.replace("HTTPMethod", "JA3Fingerprint");
        let err = WebAcl::parse(&unknown, "acl.json")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("JA3Fingerprint"), "{err}");
    }

    /// Every RegexMatch of a check, with whether it joined its slot's
    /// screen.
    fn regexes<'c>(check: &'c Check, out: &mut Vec<(&'c Arc<RuleRegex>, usize, bool)>) {
        match check {
            Check::Regex {
                regex,
                transforms,
                screened,
                ..
            } => out.push((regex, transforms.slot, *screened)),
            Check::And(list) | Check::Or(list) => list.iter().for_each(|c| regexes(c, out)),
            Check::Not(inner) => regexes(inner, out),
            Check::Rate {
                scope_down: Some(inner),
                ..
            } => regexes(inner, out),
            _ => {}
        }
    }

    #[test]
    fn shipped_expressions_compile_and_each_is_screened_or_compiled_at_load() {
        let rules: Vec<String> = crate::managed::names()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let (vendor, group) = name.split_once('/').unwrap_or_default();
                format!(
                    r#"{{"Name": "g{i}", "Priority": {i}, "OverrideAction": {{"None": {{}}}},
                       "Statement": {{"ManagedRuleGroupStatement": {{"VendorName": "{vendor}", "Name": "{group}"}}}}}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"Name": "all", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{}]}}"#,
            rules.join(",")
        );
        let acl = WebAcl::parse(&text, "all.json").unwrap_or_else(|e| panic!("{e}"));
        let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut found = Vec::new();
        for entry in &evaluator.entries {
            if let Entry::Group(group) = entry {
                for rule in &group.rules {
                    regexes(&rule.check, &mut found);
                }
            }
        }
        assert!(found.len() > 50, "{} expressions", found.len());
        let mut lazy = 0;
        for (regex, slot, screened) in found {
            // Lazily compiled expressions are read without Unicode mode.
            let (_, unicode) =
                build_regex(&regex.pattern).unwrap_or_else(|e| panic!("{}: {e}", regex.pattern));
            assert!(!unicode, "{} needs Unicode mode", regex.pattern);
            if regex.compiled.get().is_none() {
                lazy += 1;
                assert!(
                    screened && evaluator.screens[slot].is_some(),
                    "{} is neither screened nor compiled",
                    regex.pattern
                );
            }
        }
        assert!(lazy > 20, "{lazy} expressions left to their first use");
    }

    #[test]
    fn only_verbose_patterns_keep_a_hash_out_of_the_screens() {
        assert!(!may_be_verbose(r"https?://[^/?#\s]+"));
        assert!(!may_be_verbose(r"(?i)a#b(?-x:c)"));
        assert!(!may_be_verbose(r"(?:a|b)#"));
        assert!(may_be_verbose("(?ix)a # comment"));
        assert!(may_be_verbose("a(?x: b # c\n)"));
        assert!(may_be_verbose(r"\(?x)#"));
    }

    #[test]
    fn tls_fingerprints_fall_back_with_a_warning() {
        for (field, fallback, blocked) in [
            ("JA3Fingerprint", "MATCH", true),
            ("JA4Fingerprint", "NO_MATCH", false),
        ] {
            let text = format!(
                r#"{{"Name": "a", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{{"Name": "tls", "Priority": 0, "Action": {{"Block": {{}}}},
                  "Statement": {{"ByteMatchStatement": {{"FieldToMatch": {{"{field}": {{"FallbackBehavior": "{fallback}"}}}},
                    "PositionalConstraint": "EXACTLY", "SearchString": "YWJj",
                    "TextTransformations": [{{"Priority": 0, "Type": "NONE"}}]}}}}}}]}}"#
            );
            let acl = WebAcl::parse(&text, "acl.json").unwrap_or_else(|e| panic!("{e}"));
            let evaluator = Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                evaluator.warnings(),
                [format!(
                    "rule \"tls\": {field}: the gateway does not terminate TLS, so there is no ClientHello to fingerprint; the statement's FallbackBehavior ({fallback}) decides every request"
                )]
            );
            let verdict = evaluator.evaluate(&request("GET", "/", "", "curl", b""));
            assert_eq!(
                matches!(verdict.decision, Decision::Block(_)),
                blocked,
                "{field}"
            );
        }
    }

    #[test]
    fn reloaded_rules_keep_their_counters_unless_their_counting_changed() {
        let acl = |limit: u32| {
            let text = format!(
                r#"{{"Name": "a", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{{"Name": "rate", "Priority": 0,
                  "Action": {{"Block": {{}}}},
                  "Statement": {{"RateBasedStatement": {{"Limit": {limit}, "EvaluationWindowSec": 60, "AggregateKeyType": "CONSTANT"}}}}}}]}}"#
            );
            let acl = WebAcl::parse(&text, "acl.json").unwrap_or_else(|e| panic!("{e}"));
            Evaluator::new(acl, &Sets::default()).unwrap_or_else(|e| panic!("{e}"))
        };
        let r = request("GET", "/", "", "curl", b"");
        let first = acl(2);
        let now = Instant::now();
        for _ in 0..2 {
            assert_eq!(first.evaluate_at(&r, now).decision, Decision::Allow);
        }
        let mut same = acl(2);
        same.keep_counters_of(&first);
        assert_eq!(same.evaluate_at(&r, now).decision, Decision::Block(None));
        let mut raised = acl(5);
        raised.keep_counters_of(&first);
        assert_eq!(raised.evaluate_at(&r, now).decision, Decision::Allow);
    }
}
