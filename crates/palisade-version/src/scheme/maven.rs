//! Maven: the rules of `ComparableVersion` (maven-artifact 3.x).
//!
//! A version is a tree: `.` separates items, `-` (and a change between digits and
//! letters) opens a sub-list. Trailing "null" items (`0`, `""`, `final`, `ga`,
//! `release`, empty lists) are dropped, so `1`, `1.0`, `1-0` and `1.0.0-ga` are
//! equal. Qualifiers order as alpha < beta < milestone < rc = cr < snapshot <
//! release < sp, and unknown qualifiers sort after `sp`, alphabetically.
//!
//! Maven 3 places a qualifier after a dot (`2.a`) differently from one after a
//! hyphen (`2-rc`), which makes `ComparableVersion` non-transitive when the two
//! forms meet (`2-rc < 2 < 2.a`, yet `2-rc > 2.a`). palisade keeps Maven 3's
//! answers, since they are what Maven resolves with; the order is total on
//! versions that introduce qualifiers one way.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Item {
    Int(Num),
    Str(Qualifier),
    List(Vec<Item>),
}

/// A qualifier reduced to its rank: known ones by position, unknown ones after `sp`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Qualifier {
    Known(u8),
    Unknown(Box<str>),
}

const RELEASE: u8 = 5;

impl Qualifier {
    fn new(raw: &str, followed_by_digit: bool) -> Qualifier {
        let expanded = if followed_by_digit && raw.len() == 1 {
            match raw {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            }
        } else {
            raw
        };
        match expanded {
            "alpha" => Qualifier::Known(0),
            "beta" => Qualifier::Known(1),
            "milestone" => Qualifier::Known(2),
            "rc" | "cr" => Qualifier::Known(3),
            "snapshot" => Qualifier::Known(4),
            "" | "ga" | "final" | "release" => Qualifier::Known(RELEASE),
            "sp" => Qualifier::Known(6),
            other => Qualifier::Unknown(other.into()),
        }
    }

    fn is_release(&self) -> bool {
        *self == Qualifier::Known(RELEASE)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_zero(),
            Item::Str(q) => q.is_release(),
            Item::List(items) => items.is_empty(),
        }
    }

    /// Compares with an absent item (the other version ran out of items here).
    fn cmp_absent(&self) -> Ordering {
        match self {
            Item::Int(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(q) => q.cmp(&Qualifier::Known(RELEASE)),
            Item::List(items) => items
                .iter()
                .map(Item::cmp_absent)
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.cmp(b),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => a.cmp(b),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let len = a.len().max(b.len());
    for i in 0..len {
        let ord = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.cmp_item(r),
            (Some(l), None) => l.cmp_absent(),
            (None, Some(r)) => r.cmp_absent().reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, looking past nested lists as Maven does.
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

/// Builds the tree with an explicit stack of open lists: index 0 is the root and
/// each later entry is a list nested in the one before it.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn push(&mut self, item: Item) {
        if let Some(top) = self.stack.last_mut() {
            top.push(item);
        }
    }

    fn open_list(&mut self) {
        self.stack.push(Vec::new());
    }

    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            let mut list = self.stack.pop().unwrap_or_default();
            normalize(&mut list);
            // `1-ga-1`: once the null `ga` is gone, the list that held it holds only
            // the next list; the two hyphens then mean one, as in Maven's spec.
            if let [Item::List(_)] = list.as_slice()
                && let Some(Item::List(inner)) = list.pop()
            {
                list = inner;
            }
            self.push(Item::List(list));
        }
        let mut root = self.stack.pop().unwrap_or_default();
        normalize(&mut root);
        root
    }
}

fn parse_item(is_digit: bool, text: &str) -> Item {
    if is_digit {
        Item::Int(Num::from_digits(text))
    } else {
        Item::Str(Qualifier::new(text, false))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Maven {
    items: Vec<Item>,
}

impl Maven {
    pub(crate) fn parse(input: &str) -> Maven {
        let version = input.trim().to_lowercase();
        let mut b = Builder {
            stack: vec![Vec::new()],
        };
        let bytes = version.as_bytes();
        let mut is_digit = false;
        let mut start = 0;
        for (i, &c) in bytes.iter().enumerate() {
            if c == b'.' {
                if i == start {
                    b.push(Item::Int(Num::zero()));
                } else {
                    b.push(parse_item(is_digit, &version[start..i]));
                }
                start = i + 1;
            } else if c == b'-' {
                if i == start {
                    b.push(Item::Int(Num::zero()));
                } else {
                    b.push(parse_item(is_digit, &version[start..i]));
                }
                start = i + 1;
                b.open_list();
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    b.push(Item::Str(Qualifier::new(&version[start..i], true)));
                    start = i;
                    b.open_list();
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    b.push(parse_item(true, &version[start..i]));
                    start = i;
                    b.open_list();
                }
                is_digit = false;
            }
        }
        if bytes.len() > start {
            b.push(parse_item(is_digit, &version[start..]));
        }
        Maven { items: b.finish() }
    }
}

impl Ord for Maven {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for Maven {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Maven::parse(a).cmp(&Maven::parse(b))
    }

    #[test]
    fn qualifiers_follow_maven_order() {
        for pair in [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-xyz",
        ]
        .windows(2)
        {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(cmp("1-cr", "1-rc"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-ga", "1"), Ordering::Equal);
        assert_eq!(cmp("4.1.0", "4.1.0.RELEASE"), Ordering::Equal);
    }

    #[test]
    fn short_letter_aliases_need_a_digit() {
        assert_eq!(cmp("1a1", "1-alpha-1"), Ordering::Equal);
        assert_eq!(cmp("1-a", "1a"), Ordering::Equal);
        assert_ne!(cmp("1-a", "1-alpha"), Ordering::Equal);
    }

    #[test]
    fn a_sub_list_sorts_below_a_number() {
        assert_eq!(cmp("1.0.0", "1.0-1"), Ordering::Less);
        assert_eq!(cmp("2.0-1", "2.0.1"), Ordering::Less);
    }
}
