//! SQL injection detection in the manner of libinjection: the input is
//! tokenized as SQL three times — as it stands (a number or bare word
//! context), and as if it began inside a single- or a double-quoted string
//! — and each token stream is asked whether it does more than a literal
//! would. A value that only ever reads as words, numbers and closed strings
//! is benign; one that closes a string and goes on with a boolean test, a
//! UNION, a stacked statement or a comment is not.
//!
//! The rules are our own, written against token classes rather than a
//! table of fingerprints. LOW sensitivity fires on constructs that benign
//! text practically never forms; HIGH adds weaker signals (a bare `1--`,
//! `SELECT x FROM y` in prose-like form, arithmetic after a closed quote).
//! Work is linear in the input: one pass to tokenize, bounded look-ahead to
//! match.

use crate::acl::Sensitivity;

/// Tokens past this many are not read: no real query fragment needs more,
/// and the work per value stays bounded.
const MAX_TOKENS: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A quoted string; `closed` is false when the input ended inside it.
    Str {
        closed: bool,
    },
    Num,
    Word(Word),
    /// `@name` or `@@name`; `system` for the latter.
    Var {
        system: bool,
    },
    /// A comparison: `=`, `<>`, `!=`, `<`, `>`, `<=`, `>=`, `<=>`, RLIKE,
    /// REGEXP; `eq` for all but `<` and `>` (equality tests, which injected
    /// conditions use; `1 < 2` is as often arithmetic prose).
    Cmp {
        eq: bool,
    },
    /// The word comparisons LIKE, IS, IN, BETWEEN, SOUNDS, apart because
    /// prose uses them too (`DANCIN' LIKE A ROBOT`); `strict` for all but
    /// IS and IN, which numbers in prose meet (`sizes 4 and 5 in 2 colors`).
    WordCmp {
        strict: bool,
    },
    /// AND, OR, XOR, `&&`, `||` (the latter also concatenation in some
    /// dialects; treated as logic, which is what injections use it for);
    /// `symbol` for the spelled-with-punctuation two, which prose never
    /// quotes (`"and"` may be prose, `" && "` is not).
    Logic {
        symbol: bool,
    },
    /// Arithmetic and bitwise operators, `:=`, `!`, `~`.
    Op,
    Comma,
    Open,
    Close,
    Semi,
    /// A comment; `strong` unless it is one a MySQL reader would not end
    /// the query with (`#`, or `--` not followed by a space), which benign
    /// text forms easily (`"#2 MOM"`, `' --INFANT`).
    Comment {
        strong: bool,
    },
    /// Anything else: punctuation SQL gives no meaning to.
    Other,
    /// MySQL's executable comment `/*!`: only SQL written to slip past a
    /// filter uses it.
    Evil,
}

/// Bare words that matter; every other word is a `Name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    Name,
    /// A name directly followed by `(`.
    Call,
    /// A function whose only uses in a request are attacks (time delays,
    /// file reads, error-based extraction).
    Danger,
    /// Catalog tables and system objects that enumeration goes after.
    Catalog,
    /// A SQL function that benign text does not call by name.
    SqlFunc,
    /// A function that names the server (`version()`, `user()`), called
    /// with no arguments.
    Info,
    Union,
    Select,
    From,
    Where,
    Order,
    Group,
    By,
    Having,
    Limit,
    Into,
    Outfile,
    Waitfor,
    Delay,
    Exec,
    Declare,
    Shutdown,
    /// Statement verbs that modify data or schema.
    Modify,
    Table,
    Procedure,
    AllDistinct,
    /// NULL, TRUE, FALSE.
    Literal,
    Not,
    Case,
    When,
    Then,
    Else,
    End,
    Exists,
    /// `LOAD DATA INFILE`'s `infile`.
    Infile,
}

fn classify(word: &[u8], called: bool) -> Word {
    let mut buf = [0u8; 40];
    if word.len() > buf.len() {
        return if called { Word::Call } else { Word::Name };
    }
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    let named = match &*lower {
        b"union" => Word::Union,
        b"select" => Word::Select,
        b"from" => Word::From,
        b"where" => Word::Where,
        b"order" => Word::Order,
        b"group" => Word::Group,
        b"by" => Word::By,
        b"having" => Word::Having,
        b"limit" | b"offset" => Word::Limit,
        b"into" => Word::Into,
        b"outfile" | b"dumpfile" => Word::Outfile,
        b"waitfor" => Word::Waitfor,
        b"delay" | b"time" => Word::Delay,
        b"exec" | b"execute" => Word::Exec,
        b"declare" => Word::Declare,
        b"shutdown" => Word::Shutdown,
        b"insert" | b"update" | b"delete" | b"drop" | b"create" | b"alter" | b"truncate"
        | b"grant" | b"revoke" | b"merge" => Word::Modify,
        b"table" | b"database" => Word::Table,
        b"procedure" => Word::Procedure,
        b"all" | b"distinct" | b"distinctrow" => Word::AllDistinct,
        b"null" | b"true" | b"false" => Word::Literal,
        b"not" => Word::Not,
        b"case" => Word::Case,
        b"when" => Word::When,
        b"then" => Word::Then,
        b"else" => Word::Else,
        b"end" => Word::End,
        b"exists" => Word::Exists,
        b"infile" => Word::Infile,
        b"sleep"
        | b"benchmark"
        | b"pg_sleep"
        | b"load_file"
        | b"extractvalue"
        | b"updatexml"
        | b"name_const"
        | b"randomblob"
        | b"xp_cmdshell"
        | b"sp_executesql"
        | b"sp_oacreate"
        | b"sys_eval"
        | b"sys_exec"
        | b"dbms_pipe.receive_message"
        | b"dbms_lock.sleep"
        | b"utl_inaddr.get_host_name"
        | b"utl_inaddr.get_host_address"
        | b"utl_http.request"
        | b"ctxsys.drithsx.sn"
        | b"pg_read_file"
        | b"pg_ls_dir"
        | b"lo_import"
        | b"openrowset"
        | b"opendatasource"
        | b"xp_dirtree"
        | b"xp_regread"
        | b"master..xp_cmdshell"
        | b"master.dbo.xp_cmdshell"
        | b"geometrycollection"
        | b"multipoint"
        | b"polygon"
        | b"linestring"
        | b"json_keys"
        | b"gtid_subset" => Word::Danger,
        // Every catalog name and procedure prefix below has a `_` or a
        // `.`, or starts with `sys` or `msys`: other words skip the list.
        // (A plain loop: words are short, and memchr's setup costs more.)
        _ if !lower.iter().any(|&b| b == b'_' || b == b'.')
            && !lower.starts_with(b"sys")
            && !lower.starts_with(b"msys") =>
        {
            Word::Name
        }
        _ => {
            let catalog = [
                &b"information_schema"[..],
                b"mysql.user",
                b"sysobjects",
                b"syscolumns",
                b"sys.objects",
                b"sys.tables",
                b"sys.columns",
                b"sys.databases",
                b"master..sys",
                b"master.dbo.sys",
                b"pg_catalog",
                b"pg_shadow",
                b"pg_user",
                b"pg_tables",
                b"all_tables",
                // Oracle's `ALL_TAB_COLUMNS`, `ALL_TAB_PRIVS` and the like.
                b"all_tab_",
                b"all_users",
                b"user_tables",
                b"user_tab_",
                b"dba_tables",
                b"dba_tab_",
                b"dba_users",
                b"sqlite_master",
                b"msysobjects",
                b"msysaccessobjects",
            ];
            // Every prefix starts with one of these letters: most dotted
            // words (`example.com`, `photo.png`) are done with one test.
            let may_be_catalog = matches!(
                lower.first(),
                Some(b'i' | b'm' | b's' | b'p' | b'a' | b'u' | b'd')
            );
            if may_be_catalog && catalog.iter().any(|c| lower.starts_with(c)) {
                Word::Catalog
            } else if matches!(
                &*lower,
                b"current_user"
                    | b"session_user"
                    | b"system_user"
                    | b"current_date"
                    | b"current_time"
                    | b"current_timestamp"
                    | b"utc_date"
                    | b"utc_time"
                    | b"utc_timestamp"
            ) {
                // Functions SQL calls without parentheses.
                Word::Info
            } else if lower.starts_with(b"xp_") || lower.starts_with(b"sp_") {
                // SQL Server's extended and system procedures.
                Word::Danger
            } else {
                Word::Name
            }
        }
    };
    if !called || named != Word::Name {
        return named;
    }
    match &*lower {
        b"version" | b"database" | b"user" | b"current_user" | b"system_user" | b"session_user"
        | b"db_name" | b"schema" | b"user_name" | b"host_name" | b"connection_id"
        | b"last_insert_id" | b"suser_name" | b"suser_sname" | b"current_database"
        | b"current_schema" | b"sqlite_version" => Word::Info,
        b"ascii" | b"substring" | b"substr" | b"mid" | b"concat" | b"concat_ws"
        | b"group_concat" | b"char" | b"chr" | b"nchar" | b"ord" | b"hex" | b"unhex" | b"conv"
        | b"length" | b"len" | b"char_length" | b"cast" | b"convert" | b"count" | b"floor"
        | b"rand" | b"if" | b"ifnull" | b"isnull" | b"nullif" | b"coalesce" | b"compress"
        | b"uncompress" | b"md5" | b"sha1" | b"instr" | b"locate" | b"bin" | b"elt"
        | b"make_set" | b"exp" | b"pi" | b"cos" | b"sin" | b"iif" | b"dcount" | b"row_count"
        | b"found_rows" | b"strcmp" | b"export_set" | b"find_in_set" | b"json_extract"
        | b"xmltype" | b"unicode" | b"is_srvrolemember" | b"has_dbaccess" | b"quotename"
        | b"object_id" | b"object_name" | b"col_name" | b"table_name" | b"string_agg"
        | b"listagg" | b"wm_concat" | b"rawtohex" | b"to_char" | b"chr_" | b"mysql" | b"rownum"
        | b"hextoraw" | b"decode" | b"binary" | b"lpad" | b"rpad" => Word::SqlFunc,
        _ => Word::Call,
    }
}

fn word_operator(word: &[u8]) -> Option<Kind> {
    let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
    if is("and") || is("or") || is("xor") {
        Some(Kind::Logic { symbol: false })
    } else if is("rlike") || is("regexp") {
        // Not English words: as plain a test as `=`.
        Some(Kind::Cmp { eq: true })
    } else if is("like") || is("between") || is("sounds") {
        Some(Kind::WordCmp { strict: true })
    } else if is("is") || is("in") {
        Some(Kind::WordCmp { strict: false })
    } else if is("div") || is("mod") {
        Some(Kind::Op)
    } else {
        None
    }
}

/// Bytes that continue a word, as a table: the tokenizer asks for every
/// byte of every word.
static WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'.' || c >= 0x80;
        b += 1;
    }
    table
};

fn is_word_byte(b: u8) -> bool {
    WORD_BYTES[usize::from(b)]
}

/// Reads SQL tokens from `input`; when `quote` is given, reading starts
/// inside a string opened by that quote.
fn tokenize(input: &[u8], quote: Option<u8>, tokens: &mut Vec<Kind>) {
    tokens.clear();
    tokens.reserve((input.len() / 2 + 2).min(MAX_TOKENS));
    let mut i = 0;
    let n = input.len();
    let push = |tokens: &mut Vec<Kind>, kind| tokens.push(kind);
    if let Some(q) = quote {
        let (end, closed) = string_end(input, 0, q);
        push(tokens, Kind::Str { closed });
        i = end;
    }
    while i < n && tokens.len() < MAX_TOKENS {
        let b = input[i];
        let next = input.get(i + 1).copied();
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0 | 0xa0 => i += 1,
            b'\'' | b'"' => {
                let (end, closed) = string_end(input, i + 1, b);
                push(tokens, Kind::Str { closed });
                i = end;
            }
            b'`' => {
                // A quoted identifier.
                let end = memchr::memchr(b'`', &input[i + 1..]).map_or(n, |at| i + 2 + at);
                push(tokens, Kind::Word(Word::Name));
                i = end;
            }
            b'#' => {
                // To the end of the line, as MySQL reads it: a newline
                // brings the code after it back. Strong when it ends a value
                // that closed a string (`admin'#`): prose puts something
                // after the `#` (`"#2 MOM"`), or a number before the quote
                // (`SOAP 1 '#`, a measurement).
                let strong = quote.is_some_and(|q| quote_then_hash(&input[..i], q))
                    && input[i + 1..].iter().all(u8::is_ascii_whitespace);
                push(tokens, Kind::Comment { strong });
                i = memchr::memchr(b'\n', &input[i..]).map_or(n, |at| i + at + 1);
            }
            b'-' if next == Some(b'-') => {
                // `--sp_password`: SQL Server keeps a statement naming that
                // procedure out of its trace, so the comment hides the query.
                let strong = input.get(i + 2).is_none_or(|c| c.is_ascii_whitespace())
                    || input[i + 2..]
                        .get(..11)
                        .is_some_and(|w| w.eq_ignore_ascii_case(b"sp_password"));
                push(tokens, Kind::Comment { strong });
                i = memchr::memchr(b'\n', &input[i..]).map_or(n, |at| i + at + 1);
            }
            b'/' if next == Some(b'*') => {
                if input.get(i + 2) == Some(&b'!') {
                    // MySQL runs the inside of `/*! ... */`: read it as code.
                    push(tokens, Kind::Evil);
                    i += 3;
                    while i < n && input[i].is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    push(tokens, Kind::Comment { strong: true });
                    i = memchr::memmem::find(&input[i + 2..], b"*/").map_or(n, |at| i + 4 + at);
                }
            }
            b'*' if next == Some(b'/') => i += 2,
            // MySQL's `\N` is NULL.
            b'\\' if next == Some(b'N') && !input.get(i + 2).is_some_and(|c| is_word_byte(*c)) => {
                push(tokens, Kind::Word(Word::Literal));
                i += 2;
            }
            // SQL Server's bracketed identifier, `[table]`.
            b'[' => match bracketed(&input[i + 1..]) {
                Some(len) => {
                    push(tokens, Kind::Word(Word::Name));
                    i += len + 2;
                }
                None => {
                    push(tokens, Kind::Other);
                    i += 1;
                }
            },
            b'(' | b'{' => {
                push(tokens, Kind::Open);
                i += 1;
            }
            b')' | b'}' => {
                push(tokens, Kind::Close);
                i += 1;
            }
            b',' => {
                push(tokens, Kind::Comma);
                i += 1;
            }
            b';' => {
                push(tokens, Kind::Semi);
                i += 1;
            }
            b'@' => {
                let system = next == Some(b'@');
                let mut end = i + 1 + usize::from(system);
                while end < n && is_word_byte(input[end]) {
                    end += 1;
                }
                push(tokens, Kind::Var { system });
                i = end;
            }
            b'0'..=b'9' => {
                let mut end = i + 1;
                if b == b'0' && matches!(next, Some(b'x' | b'X' | b'b' | b'B')) {
                    end += 1;
                    while end < n && input[end].is_ascii_hexdigit() {
                        end += 1;
                    }
                } else {
                    while end < n && (input[end].is_ascii_digit() || input[end] == b'.') {
                        end += 1;
                    }
                    if end < n && matches!(input[end], b'e' | b'E') {
                        let mut exp = end + 1;
                        if exp < n && matches!(input[exp], b'+' | b'-') {
                            exp += 1;
                        }
                        if exp < n && input[exp].is_ascii_digit() {
                            end = exp;
                            while end < n && input[end].is_ascii_digit() {
                                end += 1;
                            }
                        } else if input[end - 1] == b'.'
                            && (input.get(exp) == Some(&b'(')
                                || input.get(exp) == Some(&b'.')
                                    && input
                                        .get(exp + 1)
                                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_'))
                        {
                            // `1.e.table_name`, `1.e(`: MySQL reads `1.e` as a
                            // number and what is glued to it as the next token,
                            // which a filter reading words does not.
                            push(tokens, Kind::Evil);
                            i = exp;
                            continue;
                        }
                    }
                    // Oracle's `1d` and `1f` (binary double and float) glue a
                    // keyword to a number: `1DUNION SELECT`.
                    if end + 1 < n
                        && matches!(input[end], b'd' | b'D' | b'f' | b'F')
                        && input[end + 1].is_ascii_alphabetic()
                    {
                        let mut w = end + 1;
                        while w < n && is_word_byte(input[w]) && input[w] != b'.' {
                            w += 1;
                        }
                        let word = &input[end + 1..w];
                        if !word.is_empty()
                            && (word_operator(word).is_some()
                                || classify(word, false) != Word::Name)
                        {
                            end += 1;
                        }
                    }
                }
                push(tokens, Kind::Num);
                i = end;
            }
            b'.' if next.is_some_and(|c| c.is_ascii_digit()) => {
                let mut end = i + 1;
                while end < n && input[end].is_ascii_digit() {
                    end += 1;
                }
                push(tokens, Kind::Num);
                i = end;
            }
            b'=' | b'<' | b'>' => {
                let mut end = i + 1;
                while end < n && end < i + 3 && matches!(input[end], b'=' | b'<' | b'>') {
                    end += 1;
                }
                let text = &input[i..end];
                let eq = text.contains(&b'=') || text == b"<>";
                push(tokens, Kind::Cmp { eq });
                i = end;
            }
            b'!' if next == Some(b'=') => {
                push(tokens, Kind::Cmp { eq: true });
                i += 2;
            }
            b'&' if next == Some(b'&') => {
                push(tokens, Kind::Logic { symbol: true });
                i += 2;
            }
            b'|' if next == Some(b'|') => {
                push(tokens, Kind::Logic { symbol: true });
                i += 2;
            }
            b':' if next == Some(b'=') => {
                push(tokens, Kind::Op);
                i += 2;
            }
            // `/apps/`: a path segment, not a division.
            b'/' if next.is_some_and(|c| c.is_ascii_alphabetic()) && {
                let mut end = i + 1;
                while end < n && is_word_byte(input[end]) && input[end] != b'.' {
                    end += 1;
                }
                input.get(end) == Some(&b'/')
            } =>
            {
                push(tokens, Kind::Other);
                i += 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'|' | b'&' | b'~' | b'!' => {
                push(tokens, Kind::Op);
                i += 1;
            }
            _ if is_word_byte(b) && b != b'.' => {
                let mut end = i + 1;
                while end < n && is_word_byte(input[end]) {
                    // `SELECT.2alias`: MySQL ends a keyword at a `.` before a
                    // digit, where a qualified name (`a.b`) goes on.
                    if input[end] == b'.'
                        && input.get(end + 1).is_some_and(u8::is_ascii_digit)
                        && matches!(
                            classify(&input[i..end], false),
                            Word::Select | Word::Union | Word::From
                        )
                    {
                        break;
                    }
                    end += 1;
                }
                // A word may carry a dialect prefix (N'..', X'..', B'..').
                let word = &input[i..end];
                let mut after = end;
                while after < n && matches!(input[after], b' ' | b'\t' | b'\n' | b'\r') {
                    after += 1;
                }
                let kind = word_operator(word)
                    .unwrap_or_else(|| Kind::Word(classify(word, input.get(after) == Some(&b'('))));
                push(tokens, kind);
                i = end;
            }
            _ => {
                push(tokens, Kind::Other);
                i += 1;
            }
        }
    }
}

/// Whether `before` (what precedes a `#`) ends in `quote` that does not
/// follow a number.
fn quote_then_hash(before: &[u8], quote: u8) -> bool {
    let mut rest = before.trim_ascii_end();
    let Some(rest_after) = rest.strip_suffix(&[quote]) else {
        return false;
    };
    rest = rest_after.trim_ascii_end();
    !rest.last().is_some_and(u8::is_ascii_digit)
}

/// The length of a bracketed identifier's name when `rest` (what follows a
/// `[`) is one: word bytes and spaces, closed by `]` within 128 bytes.
fn bracketed(rest: &[u8]) -> Option<usize> {
    let window = &rest[..rest.len().min(128)];
    let close = memchr::memchr(b']', window)?;
    (close > 0
        && window[..close]
            .iter()
            .all(|c| is_word_byte(*c) || *c == b' '))
    .then_some(close)
}

/// Where the string opened before `from` by `quote` ends: the index after
/// its closing quote, and whether there was one. A doubled quote or a
/// backslash escapes, as MySQL reads them.
fn string_end(input: &[u8], from: usize, quote: u8) -> (usize, bool) {
    let mut i = from;
    while i < input.len() {
        match input[i] {
            b'\\' => i += 2,
            c if c == quote => {
                if input.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return (i + 1, true);
                }
            }
            _ => i += 1,
        }
    }
    (input.len(), false)
}

/// How many `name=value` pairs of a query string or form body are read
/// one by one.
const MAX_PAIRS: usize = 64;

/// Whether `input` reads as SQL injection at `level`. A query string or
/// form body (`a=1&id=1 or 1=1`) is also read value by value, since each
/// value lands in a query of its own.
pub fn is_sqli(input: &[u8], level: Sensitivity) -> bool {
    let has = Bytes::of(input);
    if detect(input, level, has) {
        return true;
    }
    if has.typographic
        && let Some(folded) = fold_quotes(input)
    {
        return is_sqli(&folded, level);
    }
    if !has.equals {
        return false;
    }
    input
        .split(|b| *b == b'&')
        .take(MAX_PAIRS)
        .filter_map(|pair| memchr::memchr(b'=', pair).map(|at| &pair[at + 1..]))
        .any(|value| {
            !value.is_empty()
                && value.len() + 1 < input.len()
                && detect(value, level, Bytes::of(value))
        })
}

/// The value with its typographic single quotes and primes (`‘`, `’`,
/// `′`) written as `'`, when it has any. SQL Server's best-fit conversion
/// to a code page does the same when the value reaches a `varchar`, so
/// `’ or ‘1’=’1` is injection there.
fn fold_quotes(input: &[u8]) -> Option<Vec<u8>> {
    let quote_at = |i: usize| {
        input
            .get(i..i + 3)
            .is_some_and(|c| matches!(c, [0xE2, 0x80, 0x98 | 0x99 | 0xB2]))
    };
    let first = memchr::memchr_iter(0xE2, input).find(|&i| quote_at(i))?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        if input[i] == 0xE2 && quote_at(i) {
            out.push(b'\'');
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Which of the bytes that decide the readings a value has.
#[derive(Clone, Copy)]
struct Bytes {
    equals: bool,
    single: bool,
    double: bool,
    /// The lead byte of `‘`, `’` and `′` (see [`fold_quotes`]).
    typographic: bool,
}

impl Bytes {
    fn of(input: &[u8]) -> Bytes {
        // Most values are short: one plain pass costs less than three
        // vectorised searches' setup.
        if input.len() < 64 {
            let (mut equals, mut single, mut double, mut typographic) =
                (false, false, false, false);
            for &b in input {
                equals |= b == b'=';
                single |= b == b'\'';
                double |= b == b'"';
                typographic |= b == 0xE2;
            }
            return Bytes {
                equals,
                single,
                double,
                typographic,
            };
        }
        Bytes {
            equals: memchr::memchr(b'=', input).is_some(),
            single: memchr::memchr(b'\'', input).is_some(),
            double: memchr::memchr(b'"', input).is_some(),
            typographic: memchr::memchr(0xE2, input).is_some(),
        }
    }
}

fn detect(input: &[u8], level: Sensitivity, has: Bytes) -> bool {
    // `'`, `''`, `"`: quote characters alone, the first probe for a
    // parameter that reaches a query unescaped (it breaks the query). They
    // carry nothing as data. `""` is an empty string and passes, and so
    // does a backtick, which libinjection lists as a false positive.
    if matches!(input.trim_ascii(), b"'" | b"''" | b"\"") {
        return true;
    }
    // `@version--`, `@a /*`: a variable, then a comment opened and left
    // empty, cutting the query off after it (`@john -- see you` is a note).
    if let Some(name) = input.strip_prefix(b"@") {
        let end = name
            .iter()
            .position(|b| !is_word_byte(*b))
            .unwrap_or(name.len());
        if end > 0 && matches!(name[end..].trim_ascii(), b"--" | b"/*" | b"#" | b"-- -") {
            return true;
        }
    }
    // One bare word (`dark`, `session5f`) or one number (`42`) is one
    // token, which no rule flags.
    let bare_word = input.first().is_some_and(u8::is_ascii_alphabetic)
        && input
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if bare_word || (!input.is_empty() && input.iter().all(u8::is_ascii_digit)) {
        return false;
    }
    let high = level == Sensitivity::High;
    let readings = |buffers: &mut Buffers| {
        buffers.suspicious(input, None, high)
            || (has.single && buffers.suspicious(input, Some(b'\''), high))
            || (has.double && buffers.suspicious(input, Some(b'"'), high))
    };
    // One set of buffers for the three readings, kept by the thread: a
    // request has a dozen values to read, a worker millions of requests.
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => readings(&mut buffers),
        Err(_) => readings(&mut Buffers::default()),
    })
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

#[derive(Default)]
struct Buffers {
    tokens: Vec<Kind>,
    code: Vec<Kind>,
    comment_after: Vec<bool>,
}

impl Buffers {
    fn suspicious(&mut self, input: &[u8], quote: Option<u8>, high: bool) -> bool {
        if quote.is_some_and(|q| lone_operator(input, q) || or_number(input, q)) {
            return true;
        }
        tokenize(input, quote, &mut self.tokens);
        // Read as it stands, at LOW, every rule needs some token beyond
        // operands, arithmetic and punctuation: most values (paths, URLs,
        // user agents without `;`, prose) have none and are done here.
        if quote.is_none() && !high && !self.tokens.iter().copied().any(marks_sql) {
            // Tests and fuzzing (debug builds) check the claim on every value.
            debug_assert!(
                !self.judge(quote, high),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            return false;
        }
        self.judge(quote, high)
    }

    /// Applies the rules to the tokens read last.
    fn judge(&mut self, quote: Option<u8>, high: bool) -> bool {
        // Comments are whitespace to the grammar; remember where they were.
        self.code.clear();
        self.comment_after.clear();
        self.code.reserve(self.tokens.len());
        self.comment_after.reserve(self.tokens.len());
        for &kind in &self.tokens {
            if let Kind::Comment { strong } = kind {
                if let Some(flag) = self.comment_after.last_mut() {
                    *flag |= strong || high;
                }
            } else {
                self.code.push(kind);
                self.comment_after.push(false);
            }
        }
        anywhere(&self.code, &self.comment_after, high)
            || breakout(&self.code, &self.comment_after, quote, high)
    }
}

/// `'*'`, `' AND '`, `A' DIV 'B`: one operator between two of the quotes
/// the value was read in, a probe for whether it reaches the query
/// unquoted (`'' * ''`, `'A' DIV 'B'`). Outside the quotes at most one
/// word on each side, touching its quote; or, in single quotes (SQL's
/// string quotes), apart from it (`A 'OR' B`, read `'A ' OR ' B'`). With
/// more words around (`the word 'like' is overused`), or a word apart
/// from double quotes (`SMALL "&" SIGN`), it is prose about the word.
fn lone_operator(input: &[u8], quote: u8) -> bool {
    let input = input.trim_ascii();
    let (Some(open), Some(close)) = (memchr::memchr(quote, input), memchr::memrchr(quote, input))
    else {
        return false;
    };
    if open == close {
        return false;
    }
    let single = quote == b'\'';
    let word = |side: &[u8]| {
        let side = if single { side.trim_ascii() } else { side };
        side.iter().all(|b| b.is_ascii_alphanumeric())
    };
    let (left, inner, right) = (&input[..open], &input[open + 1..close], &input[close + 1..]);
    if !word(left) || !word(right) {
        return false;
    }
    // Apart from its quotes, a word on one side only (`select 'and'`, which
    // libinjection lists as benign) is prose about the quoted word.
    let apart = left.last() == Some(&b' ') || right.first() == Some(&b' ');
    if apart && (left.trim_ascii().is_empty() != right.trim_ascii().is_empty()) {
        return false;
    }
    // A word alone in double quotes (`"MOD"`) is a search for it; in
    // single quotes (`'OR'`), spaced inside its quotes (`' AND '`) or next
    // to words it is an operator.
    let spaced = inner.first() == Some(&b' ') && inner.last() == Some(&b' ');
    let joined = single || !left.is_empty() || !right.is_empty();
    let inner = inner.trim_ascii();
    let symbol =
        (1..=3).contains(&inner.len()) && inner.iter().all(|b| b"+-*/%^|&~!<>=".contains(b));
    let spelled = (spaced || joined) && inner.len() <= 12 && {
        let mut words = inner.split(|b| *b == b' ').filter(|w| !w.is_empty());
        let first = words.next().unwrap_or_default();
        let (negated, op) = if first.eq_ignore_ascii_case(b"not") {
            (true, words.next().unwrap_or_default())
        } else {
            (false, first)
        };
        // AND, OR, XOR, DIV, MOD; RLIKE, REGEXP and LIKE, negated or not.
        words.next().is_none()
            && match word_operator(op) {
                Some(Kind::Logic { .. } | Kind::Op) => !negated,
                Some(Kind::Cmp { .. }) => true,
                Some(Kind::WordCmp { .. }) => op.eq_ignore_ascii_case(b"like"),
                _ => false,
            }
    };
    symbol || spelled
}

/// `fo"o'or'1`, `x' or '1`, `'or'1=1`: a quote closed, a logical
/// operator, and a quoted number (or test of numbers) at the very end, left
/// open for the query's own quote to close or closed (`' or '1'`, a test on
/// a true string). Or `' or 1`: a quote, a logical operator and a constant,
/// the whole value.
fn or_number(input: &[u8], quote: u8) -> bool {
    let input = input.trim_ascii();
    if let Some(rest) = input.strip_prefix(&[quote]) {
        let mut words = rest.split(|b| *b == b' ').filter(|w| !w.is_empty());
        if let (Some(op), Some(constant)) = (words.next(), words.next())
            && matches!(word_operator(op), Some(Kind::Logic { .. }))
        {
            let alone = words.clone().next().is_none();
            // `' or 1`, `' or true`; `' or '' '`: only empty strings after.
            let quotes = |w: &[u8]| w.iter().all(|b| *b == quote);
            if alone
                && (constant.iter().all(u8::is_ascii_digit)
                    || constant.eq_ignore_ascii_case(b"true")
                    || constant.eq_ignore_ascii_case(b"false"))
                || quotes(constant) && words.all(quotes)
            {
                return true;
            }
        }
    }
    let input = input.strip_suffix(&[quote]).unwrap_or(input);
    let digits = |end: usize| {
        input[..end]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = input.len();
    let mut count = digits(end);
    if count > 0 && input[..end - count].ends_with(b"=") {
        end -= count + 1;
        count = digits(end);
    }
    if count == 0 {
        return false;
    }
    let Some(rest) = input[..end - count].strip_suffix(&[quote]) else {
        return false;
    };
    let rest = rest.trim_ascii_end();
    let word = rest.iter().rev().take_while(|b| is_word_byte(**b)).count();
    let (rest, operator) = if word > 0 {
        rest.split_at(rest.len() - word)
    } else if rest.ends_with(b"||") || rest.ends_with(b"&&") {
        rest.split_at(rest.len() - 2)
    } else {
        return false;
    };
    let logical = word == 0 || matches!(word_operator(operator), Some(Kind::Logic { .. }));
    logical && rest.trim_ascii_end().ends_with(&[quote])
}

/// Whether a token can take part in a LOW rule on the unquoted reading:
/// everything but numbers, plain names, arithmetic, commas, parentheses
/// and other punctuation. (Each rule of `anywhere` and `breakout` asks for
/// a keyword, a call, a string, a variable, a comparison, a logical
/// operator, a comment or a `;`, or fires only at HIGH: `x)-(f(` is one
/// with a call.)
fn marks_sql(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::Num
            | Kind::Word(Word::Name)
            | Kind::Op
            | Kind::Comma
            | Kind::Open
            | Kind::Close
            | Kind::Other
    )
}

fn is_call(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Word(Word::Call | Word::Danger | Word::SqlFunc | Word::Info)
    )
}

/// Constructs that are injection wherever they stand.
fn anywhere(code: &[Kind], comment_after: &[bool], high: bool) -> bool {
    let at = |i: usize| code.get(i).copied();
    // `-2 order select 1/*`: a number, then numbers selected from `i` and
    // the rest of the query cut off.
    let numbered = |i: usize| {
        (code[0] == Kind::Num || code.starts_with(&[Kind::Op, Kind::Num]))
            && numbers_then_comment(code, i, comment_after)
    };
    for i in 0..code.len() {
        match code[i] {
            Kind::Word(Word::Union) => {
                let mut j = i + 1;
                while matches!(at(j), Some(Kind::Word(Word::AllDistinct) | Kind::Open)) {
                    j += 1;
                }
                if at(j) == Some(Kind::Word(Word::Select)) || numbered(i) {
                    return true;
                }
            }
            Kind::Open
                if at(i + 1) == Some(Kind::Word(Word::Select))
                    && select_body(&code[i + 2..], high) =>
            {
                return true;
            }
            Kind::Word(Word::Select) if select_from(&code[i + 1..], high) => return true,
            Kind::Word(Word::Danger) if at(i + 1) == Some(Kind::Open) => return true,
            // `version()`, `ascii(substring(..))`
            Kind::Word(Word::Info)
                if at(i + 1) == Some(Kind::Open) && at(i + 2) == Some(Kind::Close) =>
            {
                return true;
            }
            Kind::Word(Word::SqlFunc) if at(i + 1) == Some(Kind::Open) => {
                let end = group_end(code, i + 1);
                let inside = &code[i + 2..end];
                if has_sql_call(inside) || inside.contains(&Kind::Cmp { eq: true }) {
                    return true;
                }
            }
            Kind::Word(Word::Case) if case_expression(&code[i + 1..]) => return true,
            Kind::Evil => return true,
            Kind::Word(Word::Catalog) => return true,
            Kind::Var { system: true } => return true,
            Kind::Word(Word::Waitfor) if at(i + 1) == Some(Kind::Word(Word::Delay)) => {
                return true;
            }
            Kind::Word(Word::Into) if at(i + 1) == Some(Kind::Word(Word::Outfile)) => {
                return true;
            }
            // `exec master..xp_cmdshell`, `exec('...')`, `exec sp_...`
            Kind::Word(Word::Exec)
                if matches!(
                    at(i + 1),
                    Some(Kind::Word(Word::Danger) | Kind::Open | Kind::Var { .. })
                ) || (high && matches!(at(i + 1), Some(Kind::Word(Word::Name)))) =>
            {
                return true;
            }
            Kind::Semi if stacked(&code[i + 1..], high) => return true,
            // `create table myfile (input TEXT);`: a value that is a
            // statement defining a table, ended.
            Kind::Word(Word::Modify)
                if i == 0
                    && at(1) == Some(Kind::Word(Word::Table))
                    && matches!(at(2), Some(Kind::Word(Word::Name | Word::Call)))
                    && at(3) == Some(Kind::Open)
                    && code.ends_with(&[Kind::Close, Kind::Semi]) =>
            {
                return true;
            }
            Kind::Word(Word::Select) if numbered(i) => return true,
            // `10;DROP members --`: a statement on a named object, the rest
            // of the query cut off.
            Kind::Semi
                if at(i + 1) == Some(Kind::Word(Word::Modify))
                    && at(i + 2) == Some(Kind::Word(Word::Name))
                    && i + 3 == code.len()
                    && comment_after[i + 2] =>
            {
                return true;
            }
            // `... or '1'='1` later in the value, after what the first
            // breakout rule could not read.
            Kind::Logic { .. } if literal_test(&code[i + 1..]) => return true,
            // `1 AND 1 NOT LIKE 0`, `1 and 1 sounds like 1`: a word test
            // of two numbers.
            Kind::Logic { .. }
                if i > 0 && code[i - 1] == Kind::Num && number_word_test(&code[i + 1..]) =>
            {
                return true;
            }
            // `1 || lpad(user,7,1)`: a SQL function concatenated.
            Kind::Logic { symbol: true }
                if matches!(
                    at(i + 1),
                    Some(Kind::Word(Word::SqlFunc | Word::Info | Word::Danger))
                ) && at(i + 2) == Some(Kind::Open) =>
            {
                return true;
            }
            // A value that is a query: `select @@version`, `select user()`.
            Kind::Word(Word::Select)
                if (i == 0 || at(i - 1) == Some(Kind::Semi))
                    && (matches!(at(i + 1), Some(Kind::Var { .. }))
                        || at(i + 1).is_some_and(is_call)) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// `1 NOT BETWEEN 0`, `1 SOUNDS LIKE 1`: a number compared with a number
/// by LIKE, BETWEEN or SOUNDS.
fn number_word_test(rest: &[Kind]) -> bool {
    let mut rest = rest;
    let [Kind::Num, tail @ ..] = rest else {
        return false;
    };
    rest = tail;
    if let [Kind::Word(Word::Not), tail @ ..] = rest {
        rest = tail;
    }
    let [Kind::WordCmp { strict: true }, tail @ ..] = rest else {
        return false;
    };
    rest = tail;
    if let [Kind::WordCmp { strict: true }, tail @ ..] = rest {
        rest = tail;
    }
    rest.first() == Some(&Kind::Num)
}

/// After CASE: `WHEN 4518=5617 THEN`, a branch on a constant test (cut
/// off or not), or a whole expression, `1 WHEN 2 THEN 2 END` (prose has
/// no END right after the branch's value).
fn case_expression(rest: &[Kind]) -> bool {
    let at = |i: usize| rest.get(i).copied();
    if at(0) == Some(Kind::Word(Word::When)) && literal_test(&rest[1..]) {
        return true;
    }
    // An operand, optionally compared with another.
    let test = |i: usize| {
        let end = expr_end(rest, i)?;
        match at(end) {
            Some(Kind::Cmp { .. } | Kind::WordCmp { .. }) => expr_end(rest, end + 1),
            _ => Some(end),
        }
    };
    let when = if at(0) == Some(Kind::Word(Word::When)) {
        0
    } else {
        match test(0) {
            Some(end) if at(end) == Some(Kind::Word(Word::When)) => end,
            _ => return false,
        }
    };
    let Some(then) = test(when + 1).filter(|&j| at(j) == Some(Kind::Word(Word::Then))) else {
        return false;
    };
    let Some(mut end) = test(then + 1) else {
        return false;
    };
    if at(end) == Some(Kind::Word(Word::Else)) {
        let Some(after) = test(end + 1) else {
            return false;
        };
        end = after;
    }
    at(end) == Some(Kind::Word(Word::End))
}

/// A symbolic comparison of numbers or strings (`'1'='1`, `4499=8923`),
/// which only a boolean test needs: data never compares constants.
fn literal_test(rest: &[Kind]) -> bool {
    let at = |i: usize| rest.get(i).copied();
    let mut i = 0;
    while matches!(at(i), Some(Kind::Open | Kind::Word(Word::Not))) {
        i += 1;
    }
    let Some(end) = expr_end(rest, i) else {
        return false;
    };
    if at(end) != Some(Kind::Cmp { eq: true }) {
        return false;
    }
    let Some(right) = expr_end(rest, end + 1) else {
        return false;
    };
    let literal = |side: &[Kind]| {
        side.iter()
            .any(|k| matches!(k, Kind::Num | Kind::Str { .. }))
    };
    literal(&rest[i..end]) && literal(&rest[end + 1..right])
}

/// After `(SELECT`: a real subquery selects something SQL-shaped.
fn select_body(rest: &[Kind], high: bool) -> bool {
    match rest.first() {
        Some(Kind::Num | Kind::Var { .. } | Kind::Str { .. } | Kind::Op | Kind::Open) => true,
        Some(kind) if is_call(*kind) => true,
        Some(Kind::Word(Word::AllDistinct | Word::Case | Word::Literal)) => true,
        _ => select_from(rest, high),
    }
}

/// After `SELECT`: a select list, then FROM and a source.
fn select_from(rest: &[Kind], high: bool) -> bool {
    let Some(from) = rest
        .iter()
        .take(96)
        .position(|k| *k == Kind::Word(Word::From))
    else {
        return false;
    };
    if from == 0 {
        return false;
    }
    let list = &rest[..from];
    let sqlish_list = list.iter().any(|k| {
        matches!(
            k,
            Kind::Op | Kind::Comma | Kind::Num | Kind::Var { .. } | Kind::Open
        ) || is_call(*k)
    }) || (list.len() == 1 && high);
    let source = &rest[from + 1..];
    let sqlish_source = match source.first() {
        Some(Kind::Word(Word::Catalog)) | Some(Kind::Open) => true,
        Some(Kind::Word(Word::Name)) => {
            high || match source.get(1) {
                // A dangling `WHERE` ends a query template that selects a
                // constant (`select x from y where` is as often prose).
                Some(Kind::Word(Word::Where)) => {
                    source.len() == 2 && matches!(list, [Kind::Str { .. } | Kind::Num])
                        || condition(&source[2..], &[], false, high)
                }
                Some(Kind::Word(Word::Order | Word::Group | Word::Limit | Word::Union)) => true,
                _ => false,
            }
        }
        _ => false,
    };
    (sqlish_list && matches!(source.first(), Some(Kind::Word(_)) | Some(Kind::Open)))
        || (list.len() == 1 && sqlish_source)
}

/// After `;`: a second statement.
fn stacked(rest: &[Kind], high: bool) -> bool {
    let at = |i: usize| rest.get(i).copied();
    match at(0) {
        Some(Kind::Word(Word::Shutdown)) => true,
        Some(Kind::Word(Word::Declare)) => matches!(at(1), Some(Kind::Var { .. })) || high,
        Some(Kind::Word(Word::Modify)) => {
            matches!(
                at(1),
                Some(Kind::Word(
                    Word::Table | Word::Into | Word::From | Word::Procedure
                ))
            ) || matches!(
                at(2),
                Some(Kind::Word(Word::Name | Word::From) | Kind::Cmp { .. } | Kind::WordCmp { .. })
            ) && matches!(at(1), Some(Kind::Word(Word::Name)))
                || high
        }
        Some(Kind::Word(Word::Select)) => {
            matches!(at(1), Some(Kind::Num | Kind::Var { .. } | Kind::Op))
                || at(1).is_some_and(is_call)
                || select_from(&rest[1..], high)
                || high
        }
        Some(Kind::Word(Word::Exec)) => {
            matches!(
                at(1),
                Some(Kind::Word(Word::Danger) | Kind::Open | Kind::Var { .. } | Kind::Str { .. })
            ) || high
        }
        Some(Kind::Word(Word::Waitfor)) => at(1) == Some(Kind::Word(Word::Delay)),
        // `; load data infile`, `; load xml local infile`
        Some(Kind::Word(Word::Name))
            if rest[1..rest.len().min(5)].contains(&Kind::Word(Word::Infile)) =>
        {
            true
        }
        // `; if exists (`, `; if not exists (`
        Some(Kind::Word(Word::Name))
            if at(1) == Some(Kind::Word(Word::Exists)) && at(2) == Some(Kind::Open)
                || at(1) == Some(Kind::Word(Word::Not))
                    && at(2) == Some(Kind::Word(Word::Exists))
                    && at(3) == Some(Kind::Open) =>
        {
            true
        }
        // `; call p(@a)`: a procedure called with session variables.
        Some(Kind::Word(Word::Name))
            if at(1).is_some_and(is_call)
                && at(2) == Some(Kind::Open)
                && rest[3..group_end(rest, 2)]
                    .iter()
                    .any(|k| matches!(k, Kind::Var { .. })) =>
        {
            true
        }
        // `; do (1=1)`: a statement on a parenthesised constant test.
        Some(Kind::Word(Word::Name | Word::Call))
            if at(1) == Some(Kind::Open) && literal_test(&rest[2..]) =>
        {
            true
        }
        // `; GO xp_cmdshell 'whoami' ;`: a system procedure called with a
        // string as a whole statement, as SQL Server runs a batch's first.
        Some(Kind::Word(Word::Danger))
            if at(1) == Some(Kind::Str { closed: true })
                && matches!(at(2), None | Some(Kind::Semi)) =>
        {
            true
        }
        Some(Kind::Word(Word::Name))
            if at(1) == Some(Kind::Word(Word::Danger))
                && at(2) == Some(Kind::Str { closed: true })
                && matches!(at(3), None | Some(Kind::Semi)) =>
        {
            true
        }
        // `; begin shutdown end`
        Some(Kind::Word(Word::Name))
            if at(1) == Some(Kind::Word(Word::Shutdown))
                && at(2) == Some(Kind::Word(Word::End)) =>
        {
            true
        }
        // `; begin declare @x ...`: a block opening on a declaration.
        Some(Kind::Word(Word::Name)) if at(1) == Some(Kind::Word(Word::Declare)) => {
            matches!(at(2), Some(Kind::Var { .. }))
        }
        // `; if 1=1 shutdown`: a statement run on a constant test.
        Some(Kind::Word(Word::Name)) => {
            let Some(left) = expr_end(rest, 1) else {
                return false;
            };
            let Some(right) = (at(left) == Some(Kind::Cmp { eq: true }))
                .then(|| expr_end(rest, left + 1))
                .flatten()
            else {
                return false;
            };
            let constant = |side: &[Kind]| {
                !side.is_empty()
                    && side
                        .iter()
                        .all(|k| matches!(k, Kind::Num | Kind::Str { .. }))
            };
            constant(&rest[1..left])
                && constant(&rest[left + 1..right])
                && stacked(&rest[right..], high)
        }
        _ => false,
    }
}

/// The index after the expression starting at `i` (unary operators,
/// operands, calls and parenthesised groups joined by operators), or `None`
/// when no operand starts there.
fn expr_end(code: &[Kind], i: usize) -> Option<usize> {
    expr_end_with(code, i, true)
}

/// [`expr_end`], with bare words as operands only when `names`.
fn expr_end_with(code: &[Kind], mut i: usize, names: bool) -> Option<usize> {
    let at = |i: usize| code.get(i).copied();
    loop {
        while matches!(at(i), Some(Kind::Op | Kind::Word(Word::Not))) {
            i += 1;
        }
        i = match at(i)? {
            Kind::Num
            | Kind::Str { .. }
            | Kind::Var { .. }
            | Kind::Word(Word::Literal | Word::Catalog) => i + 1,
            Kind::Word(Word::Name) if names => i + 1,
            kind if is_call(kind) && at(i + 1) == Some(Kind::Open) => group_end(code, i + 1),
            // `current_user`, `utc_date`
            Kind::Word(Word::Info) => i + 1,
            Kind::Open => group_end(code, i),
            _ => return None,
        };
        if at(i) == Some(Kind::Op)
            && expr_end_with(&code[i + 1..code.len().min(i + 2)], 0, names).is_some()
            || at(i) == Some(Kind::Op) && matches!(at(i + 1), Some(Kind::Op | Kind::Open))
        {
            i += 1;
            continue;
        }
        return Some(i);
    }
}

/// The index after the `)` matching the `(` at `open`, or the end.
fn group_end(code: &[Kind], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, kind) in code.iter().enumerate().skip(open) {
        match kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

fn has_sql_call(code: &[Kind]) -> bool {
    code.iter()
        .any(|k| matches!(k, Kind::Word(Word::Danger | Word::SqlFunc | Word::Info)))
}

/// A value that ends the literal it was meant to be and goes on as SQL.
fn breakout(code: &[Kind], comment_after: &[bool], quote: Option<u8>, high: bool) -> bool {
    let at = |i: usize| code.get(i).copied();
    // The literal the value was meant to be: the opening string in a quoted
    // context, an expression (`1`, `-9-(2)`, `HOPE*1`, `PI()`) as it stands.
    if quote.is_some() && at(0) != Some(Kind::Str { closed: true })
        || quote.is_none() && matches!(at(0), Some(Kind::Str { .. }))
    {
        return false;
    }
    let commented = |j: usize| comment_after.get(j).copied().unwrap_or(false);
    if quote.is_some()
        && let Some(entry @ (Kind::Op | Kind::Logic { .. } | Kind::WordCmp { .. })) = at(1)
        && sandwich(entry, &code[2..], comment_after.get(2..).unwrap_or(&[]))
    {
        return true;
    }
    // After a closed quote, only literals continue it (`'1'+'12'`); a word
    // after an operator is prose (`9"&PAGE=1`).
    // A value may also be the tail of a condition (` OR x=x`, ` ORDER BY 3`).
    let tail = quote.is_none()
        && matches!(
            at(0),
            Some(
                Kind::Logic { .. }
                    | Kind::Word(
                        Word::Order | Word::Group | Word::Having | Word::Where | Word::Limit
                    )
            )
        );
    if tail {
        return match at(0) {
            // `AND 1`, `AND false`: the pair of probes of a blind test.
            Some(Kind::Logic { .. })
                if code.len() == 2
                    && matches!(at(1), Some(Kind::Num | Kind::Word(Word::Literal))) =>
            {
                true
            }
            Some(Kind::Logic { .. }) => condition(&code[1..], &comment_after[1..], false, high),
            Some(Kind::Word(Word::Having | Word::Where)) => {
                condition(&code[1..], &comment_after[1..], true, high)
            }
            // `limit 0,1--` (`Limit 2 -- per customer` is a note)
            Some(Kind::Word(Word::Limit)) => {
                numbers_then_comment(code, 1, comment_after) && code.len() == 4
            }
            _ => {
                at(1) == Some(Kind::Word(Word::By))
                    && at(2) == Some(Kind::Num)
                    && (commented(2) || code.len() == 3 || at(3) == Some(Kind::Comma))
            }
        };
    }
    let Some(mut i) = expr_end_with(code, 0, quote.is_none()) else {
        return false;
    };
    // A bare word is prose as often as it is a column: ask for more.
    let worded = quote.is_none() && !matches!(at(0), Some(Kind::Num | Kind::Op | Kind::Open));
    if quote.is_none() && at(i) == Some(Kind::Comma) {
        // `17,23 order by 16`
        while at(i) == Some(Kind::Comma) && matches!(at(i + 1), Some(Kind::Num)) {
            i += 2;
        }
    }
    let literal_end = i - 1;
    while at(i) == Some(Kind::Close) {
        i += 1;
    }
    let closed_parens = i - 1 - literal_end;
    let ends_at = |j: usize| j + 1 >= code.len() || at(j + 1) == Some(Kind::Semi);
    let Some(next) = at(i) else {
        // `admin'--`, `1)--`, `417652-- `: the rest of the query is cut off.
        let last = i - 1;
        let sqlish = code[..i].iter().any(|k| {
            matches!(
                k,
                Kind::Var { .. } | Kind::Logic { .. } | Kind::Str { .. } | Kind::Cmp { .. }
            )
        });
        // Arithmetic on constants: with SQL's literals (`1-false`,
        // `1*null`, which numbers in text never meet) it is SQL as it
        // stands; on numbers alone (`1 * 1/*`), once a comment cuts the
        // query off. Either probes for a numeric context.
        let operands = &code[..i];
        let arithmetic = operands.contains(&Kind::Op)
            && operands
                .iter()
                .all(|k| matches!(k, Kind::Num | Kind::Op | Kind::Word(Word::Literal)));
        let literal = operands.contains(&Kind::Word(Word::Literal));
        if quote.is_none() && arithmetic && literal && operands.contains(&Kind::Num) {
            return true;
        }
        let arithmetic = arithmetic && !literal;
        return commented(last)
            && (quote.is_some() || closed_parens > 0 || !worded)
            && (i == 1
                || has_sql_call(&code[..i])
                || sqlish
                || arithmetic
                || quote.is_some()
                || high);
    };
    match next {
        Kind::Semi => {
            ends_at(i) && commented(i) && quote.is_some()
                || matches!(at(i + 1), Some(Kind::Word(Word::Declare)))
        }
        Kind::Logic { .. } => {
            condition(&code[i + 1..], &comment_after[i + 1..], worded, high)
                // `' or ''-'`: strings and operators, the last string left
                // open for the query's own quote to close.
                || quote.is_some()
                    && code.last() == Some(&Kind::Str { closed: false })
                    && code[i + 1..].contains(&Kind::Op)
                    && code[i + 1..]
                        .iter()
                        .all(|k| matches!(k, Kind::Str { .. } | Kind::Op))
                // `'or not false #`, `1"OR!(false)`: SQL's own truth
                // values, to the end of the value.
                || quote.is_some()
                    && code[i + 1..].contains(&Kind::Word(Word::Literal))
                    && code[i + 1..].iter().all(|k| {
                        matches!(
                            k,
                            Kind::Word(Word::Literal | Word::Not)
                                | Kind::Op
                                | Kind::Open
                                | Kind::Close
                        )
                    })
                // `1'and #`, `' or match(..) against(..); --`: a test (or
                // its start) and the rest of the query cut off.
                || quote.is_some()
                    && (i + 1 == code.len() && commented(i)
                        || code.last() == Some(&Kind::Semi) && commented(code.len() - 1))
        }
        // ` ( 1 ) in ( binary ( 'b') ) --`: a whole test on a number, then
        // the rest of the query cut off.
        Kind::Cmp { eq: true } | Kind::WordCmp { .. }
            if quote.is_none()
                && !worded
                && expr_end(code, i + 1) == Some(code.len())
                && commented(code.len() - 1) =>
        {
            true
        }
        Kind::Cmp { .. } | Kind::WordCmp { .. } => {
            // `'='`, `' like 'a%'--`, `1 = 1` go on as a comparison; the
            // comparison must end the value or lead to more SQL.
            let literal = matches!(
                at(i + 1),
                Some(Kind::Num | Kind::Str { .. } | Kind::Var { .. })
            ) || at(i + 1).is_some_and(is_call);
            let unclosed = at(i + 1) == Some(Kind::Str { closed: false });
            let then = at(i + 2);
            let continues = then.is_none()
                || commented(i + 1)
                || matches!(
                    then,
                    Some(
                        Kind::Logic { .. } | Kind::Semi | Kind::Close | Kind::Op | Kind::Cmp { .. }
                    )
                );
            let word = matches!(next, Kind::WordCmp { .. });
            // `abc' = !!'0`, `aa'=('aa')#(`, `aa'!=ascii(1)#(`: after a
            // quote, an operand behind unary operators, in a group or
            // called, ending the value or going on as SQL.
            let operand = || {
                let prefixed = at(i + 1) == Some(Kind::Op)
                    || at(i + 1) == Some(Kind::Open)
                    || at(i + 1).is_some_and(is_call);
                let Some(end) = expr_end(code, i + 1).filter(|_| prefixed) else {
                    return false;
                };
                code[i + 1..end].iter().any(|k| {
                    matches!(
                        k,
                        Kind::Num | Kind::Str { .. } | Kind::Var { .. } | Kind::Word(Word::Literal)
                    )
                }) && (end == code.len()
                    || commented(end - 1)
                    || matches!(
                        at(end),
                        Some(Kind::Logic { .. } | Kind::Semi | Kind::Close | Kind::Cmp { .. })
                    ))
            };
            literal && continues && (quote.is_some() || high) && (!word || !unclosed || high)
                || quote.is_some() && operand()
        }
        Kind::Op => {
            // `'+sleep(5)+'`, `1-(select ..)`
            let rest = &code[i + 1..];
            let right = expr_end(rest, 0).unwrap_or(0);
            has_sql_call(&rest[..right])
                || matches!(rest.first(), Some(Kind::Open)) && select_or_call(&rest[1..])
                || (high && right > 0 && (right == rest.len() || commented(i + right)))
        }
        // `-6374 union 1,2,3,4,5--`, `1' select union 1,2/*`: a list of
        // numbers selected, the rest of the query cut off.
        Kind::Word(Word::Union | Word::Select)
            if (!worded || quote.is_some()) && numbers_then_comment(code, i, comment_after) =>
        {
            true
        }
        // `1) FROM users WHERE name=`: the rest of a query after a closed
        // subquery or call.
        Kind::Word(Word::From)
            if closed_parens > 0
                && at(i + 1) == Some(Kind::Word(Word::Name))
                && at(i + 2) == Some(Kind::Word(Word::Where))
                && at(i + 3) == Some(Kind::Word(Word::Name))
                && at(i + 4) == Some(Kind::Cmp { eq: true }) =>
        {
            true
        }
        Kind::Word(Word::Union) => {
            (!worded || high)
                && (i + 1 == code.len()
                    || commented(i)
                    || matches!(
                        at(i + 1),
                        Some(Kind::Word(Word::Select | Word::AllDistinct) | Kind::Open | Kind::Op)
                    ))
        }
        Kind::Word(Word::Order | Word::Group) => {
            at(i + 1) == Some(Kind::Word(Word::By))
                && matches!(
                    at(i + 2),
                    Some(
                        Kind::Num
                            | Kind::Word(Word::Name | Word::Call | Word::SqlFunc | Word::Info)
                    )
                )
                && (quote.is_some()
                    || ends_at(i + 2)
                    || commented(i + 2)
                    || matches!(
                        at(i + 3),
                        Some(Kind::Comma | Kind::Open | Kind::Word(Word::Having))
                    )
                    || high)
        }
        Kind::Word(Word::Having | Word::Where) => {
            condition(&code[i + 1..], &comment_after[i + 1..], worded, high)
        }
        // `procedure analyse(`, `into outfile`, `into @v`
        Kind::Word(Word::Procedure) => at(i + 1).is_some_and(is_call),
        Kind::Word(Word::Into) => matches!(
            at(i + 1),
            Some(Kind::Word(Word::Outfile) | Kind::Var { .. })
        ),
        Kind::Word(Word::Declare) => matches!(at(i + 1), Some(Kind::Var { .. })) || high,
        Kind::Word(Word::Limit) => {
            matches!(at(i + 1), Some(Kind::Num)) && (commented(i + 1) || high)
        }
        // `'; create user x identified by 'p' --`, `' drop table t--`
        Kind::Word(Word::Modify) => {
            high || (quote.is_some()
                && matches!(at(i + 1), Some(Kind::Word(Word::Name | Word::Table)))
                && commented(code.len() - 1))
                // `'create user x identified by p;`: a statement, ended.
                || quote.is_some()
                    && at(i + 1) == Some(Kind::Word(Word::Name))
                    && code.last() == Some(&Kind::Semi)
                // `' insert into users(login, ...`
                || quote.is_some()
                    && at(i + 1) == Some(Kind::Word(Word::Into))
                    && at(i + 2) == Some(Kind::Word(Word::Call))
                    && at(i + 3) == Some(Kind::Open)
        }
        Kind::Word(Word::Select) => high,
        Kind::Word(Word::Danger | Word::SqlFunc | Word::Info) => quote.is_some() || high,
        Kind::Word(Word::Call) => high,
        _ => false,
    }
}

/// From `i`: UNION and SELECT words, then numbers separated by commas up to
/// the end, with a comment after the last.
fn numbers_then_comment(code: &[Kind], mut i: usize, comment_after: &[bool]) -> bool {
    while matches!(code.get(i), Some(Kind::Word(Word::Union | Word::Select))) {
        i += 1;
    }
    let list = &code[i..];
    !list.is_empty()
        && list.len() % 2 == 1
        && list
            .iter()
            .enumerate()
            .all(|(j, k)| *k == if j % 2 == 0 { Kind::Num } else { Kind::Comma })
        && comment_after.last() == Some(&true)
}

/// After a quote that ends the literal and an operator, a logical operator
/// or a word comparison (`1' * id - '0`, `aa'/1 or '1`, `1"OR-"1`,
/// `aa' like(0) + 1--`): an expression that reopens the quote at the very
/// end, so the host query's own closing quote balances it, or that ends in
/// a comment cutting the query off. Only operands, operators and
/// comparisons may stand between: prose after an apostrophe has letters,
/// not an operator, and rarely ends on a lone quote; and something only SQL
/// has must be in it (a variable, function, condition, or arithmetic on a
/// column).
fn sandwich(entry: Kind, rest: &[Kind], comment_after: &[bool]) -> bool {
    let Some((last, between)) = rest.split_last() else {
        return false;
    };
    let reopened = *last == Kind::Str { closed: false };
    // `' && '`: nothing but a logical operator between the quotes, a probe
    // for whether the value reaches the query unquoted. (A quoted `"*"` or
    // `'-'` is as often prose about the character.)
    if between.is_empty() {
        return reopened && entry == Kind::Logic { symbol: true };
    }
    let cut = comment_after.get(rest.len() - 1).copied().unwrap_or(false)
        && matches!(last, Kind::Num | Kind::Word(_) | Kind::Close);
    // Concatenated with `||`, a call's arguments may be strings.
    let concatenated = entry == Kind::Logic { symbol: true };
    let expression = |k: &Kind| {
        concatenated && matches!(k, Kind::Str { closed: true } | Kind::Comma)
            || matches!(
                k,
                Kind::Num
                    | Kind::Var { .. }
                    | Kind::Op
                    | Kind::Logic { .. }
                    | Kind::Cmp { .. }
                    | Kind::WordCmp { .. }
                    | Kind::Open
                    | Kind::Close
                    | Kind::Word(
                        Word::Name
                            | Word::Literal
                            | Word::Not
                            | Word::SqlFunc
                            | Word::Info
                            | Word::Call
                            | Word::Catalog
                    )
            )
    };
    let has = |wanted: fn(&Kind) -> bool| between.iter().any(wanted);
    // Measurements (`4' x 4'`, `1/4"-1/2"`) are numbers, names and
    // operators too: ask for something only SQL has.
    let sql = has(|k| {
        matches!(
            k,
            Kind::Var { .. }
                | Kind::Logic { .. }
                | Kind::Cmp { .. }
                | Kind::WordCmp { .. }
                | Kind::Word(Word::SqlFunc | Word::Info | Word::Call | Word::Catalog)
        )
    }) || match entry {
        // `' * id - '`: one column between two operators (a path or a
        // measurement, `"/a/b/c"`, `4'+X+4'`, has more).
        Kind::Op => between == [Kind::Word(Word::Name), Kind::Op],
        // After `OR` or `LIKE` the condition must go on as an expression
        // (`' like 'a` is prose enough), and words need a number or group
        // beside them (`"AND+WHITE"` is a quoted phrase).
        _ => {
            has(|k| matches!(k, Kind::Op | Kind::Open | Kind::Cmp { .. }))
                && (!has(|k| *k == Kind::Word(Word::Name))
                    || has(|k| {
                        matches!(
                            k,
                            Kind::Num | Kind::Open | Kind::Cmp { .. } | Kind::Word(Word::Literal)
                        )
                    }))
        }
    };
    !between.is_empty() && between.iter().all(expression) && sql && (reopened || cut)
}

fn select_or_call(rest: &[Kind]) -> bool {
    matches!(rest.first(), Some(Kind::Word(Word::Select)))
        || rest.first().copied().is_some_and(is_call)
}

/// After AND / OR / HAVING / WHERE: a boolean test. `strict` (after a bare
/// word) asks for a number, string or SQL function on one side.
fn condition(rest: &[Kind], comment_after: &[bool], strict: bool, high: bool) -> bool {
    let at = |i: usize| rest.get(i).copied();
    let mut i = 0;
    while matches!(at(i), Some(Kind::Open | Kind::Word(Word::Not))) {
        i += 1;
    }
    let Some(first) = at(i) else {
        return false;
    };
    if matches!(
        first,
        Kind::Word(
            Word::Danger | Word::SqlFunc | Word::Info | Word::Exists | Word::Case | Word::Select
        )
    ) {
        return true;
    }
    let Some(mut j) = expr_end(rest, i) else {
        return false;
    };
    let left = &rest[i..j];
    while at(j) == Some(Kind::Close) {
        j += 1;
    }
    let literal = |side: &[Kind]| {
        side.iter().any(|k| {
            matches!(
                k,
                Kind::Num | Kind::Str { .. } | Kind::Var { .. } | Kind::Word(Word::Literal)
            )
        }) || has_sql_call(side)
    };
    match at(j) {
        Some(Kind::Cmp { .. } | Kind::WordCmp { .. }) => {
            let mut k = j + 1;
            while matches!(at(k), Some(Kind::Word(Word::Not))) {
                k += 1;
            }
            if at(k) == Some(Kind::Word(Word::Select)) {
                return true;
            }
            let Some(end) = expr_end(rest, k) else {
                return false;
            };
            !strict || literal(left) || literal(&rest[k..end])
        }
        // `' or 1--`, `' or true#`
        None | Some(Kind::Semi) => {
            let last = j - 1;
            comment_after.get(last).copied().unwrap_or(false)
                && matches!(
                    first,
                    Kind::Num | Kind::Word(Word::Literal) | Kind::Str { .. }
                )
                || (high && matches!(first, Kind::Num | Kind::Word(Word::Literal)))
        }
        // `or 1 group by concat(..)`
        Some(Kind::Word(Word::Group | Word::Order)) => at(j + 1) == Some(Kind::Word(Word::By)),
        // `'||'asd'||'`: concatenation around the value.
        Some(Kind::Logic { .. }) => {
            high || matches!(first, Kind::Str { .. })
                && j == i + 1
                && matches!(at(j + 1), Some(Kind::Str { .. }))
                // `1 OR ((1) OR 1) --`: nothing but constants and logic,
                // then the rest of the query cut off.
                || rest.iter().all(|k| {
                    matches!(
                        k,
                        Kind::Num | Kind::Logic { .. } | Kind::Open | Kind::Close | Kind::Word(Word::Literal)
                    )
                }) && comment_after.last().copied().unwrap_or(false)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_after_closing_parentheses_and_an_operator_is_read_in_full() {
        // Found by fuzzing the early exit: no keyword, string or operator
        // word, yet `x) ! (f(` is the `1-(f(..))` rule at LOW.
        assert!(is_sqli(b"x) ! (sdD(y", Sensitivity::Low));
        assert!(is_sqli(
            b"ad}idD(\xff=\xff\xffm\xff)\0!\0\0(sdD(\xff",
            Sensitivity::Low
        ));
    }

    fn low(s: &str) -> bool {
        is_sqli(s.as_bytes(), Sensitivity::Low)
    }

    fn high(s: &str) -> bool {
        is_sqli(s.as_bytes(), Sensitivity::High)
    }

    #[test]
    fn classic_injections_are_found_at_low_sensitivity() {
        for attack in [
            "' or 1=1--",
            "1 OR 1=1",
            "admin'--",
            "' or 'a'='a",
            "'or''='",
            "1' ORDER BY 3--",
            "-1 UNION SELECT 1,2,version()--",
            "1/*!50000union*/ /*!50000select*/ 1,2",
            "x' AND sleep(5)--",
            "1; DROP TABLE users",
            "'; exec master..xp_cmdshell 'dir'--",
            "1 AND (SELECT 1 FROM users LIMIT 1)=1",
            "' waitfor delay '0:0:5'--",
            "1') or ('1'='1",
            "'||(select pg_sleep(5))||'",
            "select * from information_schema.tables",
            "SELECT @@version",
            "2); INSERT INTO Cape (NAME,PRICE) VALUES ('Bad color', 10000.00",
            "1' or 1.e(1) or '1'='1",
            "FOO) AND 4499=8923#",
            "select @version \"foo\" -- junk",
            "X' != 'Y' = 0 = '1",
            "1; delete low_priority from foo",
            "'create user name identified by 'pass123' --",
            "1 OR ((1) OR 1) --",
            "FOO,IIF(2510=9436,FOO,1/0)",
            " aa'/1 or '1",
            "aa'|LOCALTIME*0!='1 ",
            "1'*@a or '1",
            "aa'/current_date in (0) -- -a",
            "1' * id - '0",
            "1'*column is \\N or '1",
            "aa'IS NOT NULL or+1^+'0",
            "aa' like(0) + 1-- -a",
            "1\"OR-\"1",
            "';if 1=1 shutdown-- -a",
            "';if 1=1 drop database test-- -a",
            "1; BEGIN DECLARE @xy varchar(8000)",
            "(CASE WHEN 4518=5617 THEN 1 ELSE NULL END)",
            " selECt 1,2,3,concat_ws(0x3a,username,password),5,6,7,8,9,10,11,12,13,14,15,16,17 from admin -- ",
            // A `#` comment ends at the newline; what follows it is code.
            "#aa\n0 union#\n#bb\nselect version()`",
            "1#\nunion select password from users",
            // Probes and evasions CRS's stricter level knows.
            "admin' #",
            "'*'",
            "\"-\"",
            "' % '",
            "' NOT REGEXP '",
            "A' DIV 'B",
            "A' - 'B",
            "' or ''-'",
            "1-false",
            "'<~'",
            "' && '",
            "A 'REGEXP' B",
            "1 * 1/*",
            " ( 1 ) in ( BINARY ( 'b') )  --",
            "SELECT 1FROM[table]WHERE\\1=\\1",
            "1DUNION SELECT 2",
            "SELECT $.`` 1.e.table_name",
            "select 'foo' from bar where",
            "' or MATCH username AGAINST ('+admin -a' IN BOOLEAN MODE); -- -a",
            "'",
            "''",
            "\"",
            "'OR'",
            "A 'NOT LIKE' B",
            "A '%' B",
            "case 1 when 2 then 2 end",
            "case when f(1) then 3 end",
            "1;load xml local infile \"foo\"",
            "1; if exists ( /* anything */",
            "1;call p(@version, @a)",
            "1;do (1=1)",
            "10;DROP members --",
            "1 AND 1 NOT LIKE 0",
            "1 and 1 not between 0 and 1",
            "@version--",
            "1 || lpad(user,7,1)",
            "1) FROM USERS WHERE USERNAME=",
            "-6374 union 1,2,3,4,5-- ",
            "1' select union 1,2,3,4,5,6/*",
            "abc' = !!'0",
            "aa'=('aa')#(",
            "aa'!=ascii(1)#(",
            "-1'=-'+1",
            "\u{2019} or \u{2018}1\u{2019}=\u{2019}1",
            "' or '1\u{2032}='1",
            "'or not false #aa",
            "fo\"o'or'1",
            "x' || '2",
            "'or'1=1",
            "' or 1",
            "AND 0",
            " or true",
            "' || myappadmin.adduser('admin', 'newpass') || '",
            "' insert into users(login, password) values('a', 'b')",
            "create table myfile (input TEXT);",
            "-2 order select 1/*",
            "limit 0,1--",
            "1'--sp_password",
            "' or '' '",
            "1.UNION SELECT.2alias",
            "'; begin shutdown end-- -a ",
            "SELECT table_name FROM all_tab_tables",
            "1; EXECUTE AS LOGIN 'root'; GO xp_cmdshell 'whoami.exe' ; REVERT ;",
            "'create user name identified by pass123 temporary tablespace temp;",
            "select current_user;",
            "aa'or current_date*0",
            "1\"OR!(false) #1 !",
        ] {
            assert!(low(attack), "missed {attack:?}");
        }
    }

    #[test]
    fn ordinary_values_pass_at_both_levels() {
        for benign in [
            "O'Reilly",
            "I'm afraid so. You're entirely bonkers",
            "2 OR 4 METAL BUTTONS",
            "7 AND A HALF",
            "1 AND 1/2\" BUTTON",
            "13 IS A LUCKY NUMBER",
            "BY ORDER OF THE MANAGEMENT",
            "rock 'n' roll",
            "Y'ALL COME BACK NOW",
            "DRESS WITH HAT 18';",
            "jane.doe@example.com",
            "+1 (917) 666-0987",
            "https://example.com/a?b=c&d=e#frag",
            "Where is the show; Tuesday?",
            "Rock 'n' roll - 'til dawn",
            "It's 5 * 3, isn't it",
            "4' x 4' wood",
            "1/4\"-1/2\" WIDE RIBBON",
            "48\"+X+48\"+MODERN+ART",
            "",
        ] {
            assert!(!low(benign), "low flagged {benign:?}");
            assert!(!high(benign), "high flagged {benign:?}");
        }
        // Near the operator sandwiches and stacked conditionals LOW finds.
        for benign in [
            "36\"+X+48+\"+FRAME",
            "SHABBY+\"AND+WHITE\"",
            "\"AND WHEN THE KIDS ARE OLD ENOUGH\"",
            "GALERIE <A HREF=\"/APPS/\">D'APPLICATIONS</A>!",
            "Dancin' like a 'robot",
            "Yes; if 1 = 1 then all good",
            "In case when 2 people then 3 seats",
            "press '+' to zoom",
            "`",
            "\"\"",
            "Just in case it rains when we arrive then we end early",
            "sizes 4 and 5 in 2 colors",
            "select 'and'",
            "I'm 5' or 6",
            "Macy's or 'Sears 2",
            "press 'insert into' key",
            "So tired; sleep 'til' noon",
            "Limit 2 -- per customer",
            "Create table settings (for 4)",
            "Don\u{2019}t \u{2018}select\u{2019} that one",
            "It\u{2019}s 5\u{2032} 3\u{2033} tall",
            "Fixed it; update docs",
            "@john -- see you",
            "Please select 1, 2 or 3 --",
            "\"MOD\"",
            "the word 'like' is overused",
            "Tom 'and' Jerry's show",
            "Select 'Save' from the menu where it says so",
            "3DTV 2Fast 1D",
            "1 null 2",
            "true-false 2",
            "Apartment 4 #",
            "C# and F#",
            "BAMBOO CHARCOAL SOAP 1 '#",
            "SMALL \"&\" SIGN",
            "select x from y where",
        ] {
            assert!(!low(benign), "low flagged {benign:?}");
        }
    }

    #[test]
    fn high_sensitivity_adds_weaker_signals() {
        for (input, at_low) in [
            ("1 #", false),
            ("1 or true", false),
            ("' or 1--", true),
            ("admin' # note", false),
            ("Select one from each row", false),
        ] {
            assert_eq!(low(input), at_low, "{input:?} at low");
            assert!(high(input), "{input:?} at high");
        }
    }

    #[test]
    fn endless_input_is_bounded() {
        let long = "1 or ".repeat(100_000);
        assert!(!low(&long));
        assert!(high(&long));
        let quotes = "'".repeat(100_000);
        assert!(!low(&quotes));
    }
}
