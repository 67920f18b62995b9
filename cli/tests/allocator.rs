//! The `ramguard` binary allocates with mimalloc, not the system allocator:
//! under load, glibc's arena locks cost the gateway a fifth of its CPU.

#[test]
fn the_binary_is_linked_with_mimalloc() {
    let binary = std::fs::read(env!("CARGO_BIN_EXE_ramguard")).unwrap();
    // mimalloc's own messages start with this prefix; the system allocator
    // and the rest of the binary carry no such text.
    let marker = b"mimalloc: warning: ";
    assert!(
        binary.windows(marker.len()).any(|w| w == marker),
        "the ramguard binary does not contain mimalloc: is the global allocator in cli/src/main.rs gone?"
    );
}
