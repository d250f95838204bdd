//! Puts a loader's `/chosen` properties into a device tree blob the user
//! gave (`--dtb`), as QEMU does with its `-dtb`: the blob is read into
//! nodes and properties, `/chosen` gains or replaces the command line, the
//! initial RAM disk and the seed, and `vm-fdt` writes it out again.
//!
//! The reading is written here because `vm-fdt` only writes, and the
//! crates that read blobs do not give them back as something to edit; a
//! blob is untrusted input, so every offset is checked and a bad one is an
//! error, never a panic.

use vm_fdt::{FdtReserveEntry, FdtWriter};

use crate::fdt::{Chosen, FdtError};

const MAGIC: u32 = 0xd00d_feed;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;
/// Deepest node nesting accepted; real trees are a handful deep.
const MAX_DEPTH: usize = 64;

/// One node as read from a blob.
#[derive(Debug, Default)]
struct Node {
    name: String,
    props: Vec<(String, Vec<u8>)>,
    children: Vec<Node>,
}

fn bad(what: &str) -> FdtError {
    FdtError::Writer(format!("not a valid device tree blob: {what}"))
}

/// The big-endian word at `at`.
fn word(blob: &[u8], at: usize) -> Result<u32, FdtError> {
    let bytes = blob
        .get(at..at.checked_add(4).ok_or_else(|| bad("offset overflow"))?)
        .ok_or_else(|| bad("truncated"))?;
    Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The NUL-terminated string at `at` within `blob`.
fn string(blob: &[u8], at: usize) -> Result<&str, FdtError> {
    let rest = blob.get(at..).ok_or_else(|| bad("string out of range"))?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| bad("unterminated string"))?;
    std::str::from_utf8(&rest[..end]).map_err(|_| bad("name is not UTF-8"))
}

fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|n| n & !3)
}

/// Reads a blob into its reservations and its root node.
fn read(blob: &[u8]) -> Result<(Vec<(u64, u64)>, Node), FdtError> {
    if word(blob, 0)? != MAGIC {
        return Err(bad("wrong magic"));
    }
    let total = word(blob, 4)? as usize;
    let blob = blob
        .get(..total)
        .ok_or_else(|| bad("shorter than its header says"))?;
    let structs = word(blob, 8)? as usize;
    let strings = word(blob, 12)? as usize;
    let reserve = word(blob, 16)? as usize;
    let strings = blob
        .get(strings..)
        .ok_or_else(|| bad("strings out of range"))?;

    let mut reservations = Vec::new();
    let mut at = reserve;
    loop {
        let addr = u64::from(word(blob, at)?) << 32 | u64::from(word(blob, at + 4)?);
        let size = u64::from(word(blob, at + 8)?) << 32 | u64::from(word(blob, at + 12)?);
        if addr == 0 && size == 0 {
            break;
        }
        reservations.push((addr, size));
        at += 16;
    }

    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    let mut at = structs;
    loop {
        let token = word(blob, at)?;
        at += 4;
        match token {
            BEGIN_NODE => {
                if root.is_some() {
                    return Err(bad("a second root node"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(bad("nodes nested too deep"));
                }
                let name = string(blob, at)?;
                at = align4(at + name.len() + 1).ok_or_else(|| bad("offset overflow"))?;
                stack.push(Node {
                    name: name.to_string(),
                    ..Node::default()
                });
            }
            END_NODE => {
                let node = stack.pop().ok_or_else(|| bad("unbalanced END_NODE"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            PROP => {
                let len = word(blob, at)? as usize;
                let name = string(strings, word(blob, at + 4)? as usize)?;
                let start = at + 8;
                let end = start
                    .checked_add(len)
                    .ok_or_else(|| bad("offset overflow"))?;
                let value = blob
                    .get(start..end)
                    .ok_or_else(|| bad("property out of range"))?;
                let node = stack
                    .last_mut()
                    .ok_or_else(|| bad("property outside a node"))?;
                node.props.push((name.to_string(), value.to_vec()));
                at = align4(end).ok_or_else(|| bad("offset overflow"))?;
            }
            NOP => {}
            END => break,
            other => return Err(bad(&format!("unknown token {other:#x}"))),
        }
    }
    if !stack.is_empty() {
        return Err(bad("a node is not closed"));
    }
    Ok((reservations, root.ok_or_else(|| bad("no root node"))?))
}

fn write(w: &mut FdtWriter, node: &Node, chosen: &Chosen, is_root: bool) -> Result<(), FdtError> {
    let handle = w.begin_node(&node.name)?;
    let is_chosen = !is_root && node.name == "chosen";
    let ours = if is_chosen {
        chosen.names()
    } else {
        Vec::new()
    };
    for (name, value) in &node.props {
        if !ours.contains(&name.as_str()) {
            w.property(name, value)?;
        }
    }
    if is_chosen {
        chosen.write(w)?;
    }
    for child in &node.children {
        write(w, child, chosen, false)?;
    }
    if is_root && !node.children.iter().any(|c| c.name == "chosen") {
        let c = w.begin_node("chosen")?;
        chosen.write(w)?;
        w.end_node(c)?;
    }
    w.end_node(handle)?;
    Ok(())
}

/// `blob` with `chosen`'s properties set in its `/chosen` node (made if it
/// has none); every other node, property and reservation is kept.
pub fn with_chosen(blob: &[u8], chosen: &Chosen) -> Result<Vec<u8>, FdtError> {
    let (reservations, root) = read(blob)?;
    let entries = reservations
        .iter()
        .map(|&(addr, size)| FdtReserveEntry::new(addr, size))
        .collect::<Result<Vec<_>, _>>()?;
    let mut w = FdtWriter::new_with_mem_reserv(&entries)?;
    write(&mut w, &root, chosen, true)?;
    Ok(w.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w =
            FdtWriter::new_with_mem_reserv(&[FdtReserveEntry::new(0x8000_0000, 0x1000).unwrap()])
                .unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        let chosen = w.begin_node("chosen").unwrap();
        w.property_string("stdout-path", "/soc/serial@10000000")
            .unwrap();
        w.property_string("bootargs", "old").unwrap();
        w.end_node(chosen).unwrap();
        let soc = w.begin_node("soc").unwrap();
        w.property_null("ranges").unwrap();
        w.end_node(soc).unwrap();
        w.end_node(root).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn chosen_properties_replace_and_join_the_given_ones() {
        let chosen = Chosen {
            bootargs: Some("console=ttyS0".into()),
            initrd: Some((0x9020_0000, 0x9030_0000)),
            rng_seed: None,
        };
        let out = with_chosen(&sample(), &chosen).unwrap();
        let (reservations, root) = read(&out).unwrap();
        assert_eq!(reservations, vec![(0x8000_0000, 0x1000)]);
        let node = root.children.iter().find(|c| c.name == "chosen").unwrap();
        let prop = |n: &str| node.props.iter().find(|p| p.0 == n).map(|p| p.1.clone());
        assert_eq!(prop("bootargs").unwrap(), b"console=ttyS0\0");
        assert_eq!(prop("stdout-path").unwrap(), b"/soc/serial@10000000\0");
        assert_eq!(
            prop("linux,initrd-start").unwrap(),
            0x9020_0000u64.to_be_bytes()
        );
        assert!(root.children.iter().any(|c| c.name == "soc"));
    }

    #[test]
    fn a_tree_without_chosen_gets_one() {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.end_node(root).unwrap();
        let blob = w.finish().unwrap();
        let chosen = Chosen {
            bootargs: Some("quiet".into()),
            ..Chosen::default()
        };
        let (_, root) = read(&with_chosen(&blob, &chosen).unwrap()).unwrap();
        assert_eq!(root.children[0].name, "chosen");
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let good = sample();
        assert!(with_chosen(b"", &Chosen::default()).is_err());
        assert!(with_chosen(&[0xd0, 0x0d, 0xfe, 0xed], &Chosen::default()).is_err());
        for cut in 0..good.len() {
            let mut damaged = good.clone();
            damaged.truncate(cut);
            assert!(
                with_chosen(&damaged, &Chosen::default()).is_err(),
                "cut {cut}"
            );
        }
        for i in 0..good.len() {
            let mut damaged = good.clone();
            damaged[i] ^= 0xff;
            let _ = with_chosen(&damaged, &Chosen::default());
        }
    }
}
