//! `palisade sbom` and `palisade graph`

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use palisade_inventory::sbom::{DocumentInfo, cyclonedx, spdx};
use palisade_inventory::{Inventory, Node, query};
use palisade_scan::report::{visible, write_json};
use serde_json::json;

use crate::cli::{GraphArgs, GraphFormat, SbomArgs, SbomFormat};
use crate::output::Out;
use crate::{CmdResult, Failure};

/// The inventory of the paths given (the current directory when none).
fn inventory_of(paths: &[PathBuf], rootfs: Option<&PathBuf>) -> Result<Inventory, Failure> {
    let mut paths = paths.to_vec();
    if paths.is_empty() && rootfs.is_none() {
        paths.push(PathBuf::from("."));
    }
    let mut inventory = palisade_inventory::inventory(&paths)?;
    if let Some(root) = rootfs {
        inventory.extend(palisade_inventory::rootfs(root)?);
    }
    Ok(inventory)
}

fn report_warnings(out: &Out, inventory: &Inventory) {
    for w in &inventory.warnings {
        out.note(&format!(
            "{} {}: {}",
            out.paint("33", "warning:"),
            w.origin,
            w.message
        ));
    }
}

/// A random version-4 UUID; the standard library's hasher keys are random per process.
pub(crate) fn uuid4() -> String {
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn sbom(out: &Out, args: &SbomArgs) -> CmdResult {
    let inventory = inventory_of(&args.paths, args.rootfs.as_ref())?;
    report_warnings(out, &inventory);
    let name = args
        .paths
        .first()
        .or(args.rootfs.as_ref())
        .map(|p| {
            std::fs::canonicalize(p)
                .ok()
                .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| p.display().to_string())
        })
        .unwrap_or_else(|| ".".to_string());
    let info = DocumentInfo {
        name,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        uuid: uuid4(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    // Written as it is serialized: a BOM of a large inventory is never
    // held whole, as JSON values or as text.
    let write = |writer: &mut dyn Write| match args.format {
        SbomFormat::Cyclonedx => write_json(writer, &cyclonedx(&inventory, &info)),
        SbomFormat::Spdx => write_json(writer, &spdx(&inventory, &info)),
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
            let mut writer = std::io::BufWriter::with_capacity(64 << 10, file);
            write(&mut writer)
                .and_then(|()| writer.flush())
                .map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
            out.note(&format!(
                "wrote {} ({} packages from {} files) to {}",
                match args.format {
                    SbomFormat::Cyclonedx => "CycloneDX 1.6",
                    SbomFormat::Spdx => "SPDX 2.3",
                },
                inventory.packages.len(),
                inventory.files.len(),
                path.display()
            ));
        }
        None => {
            let mut writer = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
            match write(&mut writer).and_then(|()| writer.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(Failure::new(format!("standard output: {e}"))),
                Ok(()) => {}
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `name@version`, any control character in either shown as an escape
/// (names come from files anybody can write).
fn label(inventory: &Inventory, i: usize) -> String {
    let p = &inventory.packages[i];
    format!("{}@{}", visible(&p.name), visible(&p.version))
}

pub fn graph(out: &Out, args: &GraphArgs) -> CmdResult {
    let paths: Vec<PathBuf> = args.path.iter().cloned().collect();
    let inventory = inventory_of(&paths, None)?;
    report_warnings(out, &inventory);
    match &args.why {
        Some(name) => why(out, &inventory, name, args.format),
        None => whole(out, &inventory, args.format),
    }
}

fn why(out: &Out, inventory: &Inventory, name: &str, format: GraphFormat) -> CmdResult {
    let paths = query::why(inventory, name);
    if paths.is_empty() {
        let present = inventory
            .packages
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name));
        let message = if present {
            format!("{name} is installed, but no project's dependency graph reaches it")
        } else {
            format!(
                "no package named {name:?} in {} files",
                inventory.files.len()
            )
        };
        return Err(Failure::new(message).hint(
            "names are matched exactly (case-insensitive); `palisade graph` prints everything",
        ));
    }
    match format {
        GraphFormat::Json => out.json(&json!({
            "package": name,
            "paths": paths.iter().map(|(root, path)| json!({
                "root": inventory.graph.roots[*root],
                "path": path.iter().map(|&i| {
                    let p = &inventory.packages[i];
                    json!({"name": p.name, "version": p.version, "purl": p.purl, "source": p.source})
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })),
        GraphFormat::Dot => {
            out.line("digraph why {");
            let mut edges = BTreeSet::new();
            for (root, path) in &paths {
                let mut from = format!("{:?}", inventory.graph.roots[*root].name);
                for &i in path {
                    let to = format!("{:?}", label(inventory, i));
                    edges.insert(format!("  {from} -> {to};"));
                    from = to;
                }
            }
            for edge in edges {
                out.line(&edge);
            }
            out.line("}");
        }
        GraphFormat::Tree => {
            for (root, path) in &paths {
                let r = &inventory.graph.roots[*root];
                let chain: Vec<String> = path.iter().map(|&i| label(inventory, i)).collect();
                out.line(&format!("{} {} {}", out.bold(&visible(&r.name)), out.dim("→"), chain.join(&format!(" {} ", out.dim("→")))));
                out.line(&format!("  {}", out.dim(&visible(&r.file))));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn whole(out: &Out, inventory: &Inventory, format: GraphFormat) -> CmdResult {
    match format {
        GraphFormat::Json => {
            #[derive(serde::Serialize)]
            struct Edge<'e> {
                from: &'e Node,
                to: usize,
            }
            #[derive(serde::Serialize)]
            struct Whole<'w> {
                roots: &'w [palisade_inventory::Root],
                packages: &'w [palisade_inventory::Package],
                edges: Vec<Edge<'w>>,
            }
            out.json(&Whole {
                roots: &inventory.graph.roots,
                packages: &inventory.packages,
                edges: inventory
                    .graph
                    .edges
                    .iter()
                    .map(|(from, to)| Edge { from, to: *to })
                    .collect(),
            });
        }
        GraphFormat::Dot => {
            out.line("digraph dependencies {");
            for (from, to) in &inventory.graph.edges {
                let from = match from {
                    Node::Root(r) => format!("{:?}", inventory.graph.roots[*r].name),
                    Node::Package(p) => format!("{:?}", label(inventory, *p)),
                };
                out.line(&format!("  {from} -> {:?};", label(inventory, *to)));
            }
            out.line("}");
        }
        GraphFormat::Tree => {
            let mut children: HashMap<Node, Vec<usize>> = HashMap::new();
            for &(from, to) in &inventory.graph.edges {
                children.entry(from).or_default().push(to);
            }
            for (r, root) in inventory.graph.roots.iter().enumerate() {
                out.line(&format!(
                    "{} {}",
                    out.bold(&visible(&root.name)),
                    out.dim(&format!("({})", visible(&root.file)))
                ));
                let mut seen = BTreeSet::new();
                let mut stack: Vec<(usize, usize)> = children
                    .get(&Node::Root(r))
                    .into_iter()
                    .flatten()
                    .rev()
                    .map(|&c| (c, 1))
                    .collect();
                while let Some((i, depth)) = stack.pop() {
                    let repeated = !seen.insert(i);
                    let p = &inventory.packages[i];
                    let scope = if p.scope == palisade_inventory::Scope::Prod {
                        String::new()
                    } else {
                        format!(" [{}]", p.scope.as_str())
                    };
                    out.line(&format!(
                        "{}{}{}{}",
                        "  ".repeat(depth),
                        label(inventory, i),
                        out.dim(&scope),
                        if repeated {
                            out.dim(" (*)")
                        } else {
                            String::new()
                        }
                    ));
                    if !repeated {
                        for &c in children.get(&Node::Package(i)).into_iter().flatten().rev() {
                            stack.push((c, depth + 1));
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
