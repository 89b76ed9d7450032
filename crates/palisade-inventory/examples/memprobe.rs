fn main() {
    let path = std::env::args().nth(1).expect("path");
    let inv = palisade_inventory::parse_file(std::path::Path::new(&path)).expect("parse");
    eprintln!("{} packages", inv.packages.len());
}
