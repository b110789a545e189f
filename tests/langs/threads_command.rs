// --linux test program (tests/integration/linux_langs.sh): four std::thread workers, then std::process::Command runs this program again as a child that exits 7.
use std::process::Command;
use std::thread;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() > 1 && args[1] == "child" {
        println!("rust child");
        std::process::exit(7);
    }
    let handles: Vec<_> = (0..4u64)
        .map(|i| thread::spawn(move || (0..1_000_000u64).map(|x| x * i).sum::<u64>()))
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let out = Command::new(&args[0]).arg("child").output().expect("spawn");
    println!("threads {} child {:?} said {}", total, out.status.code(),
             String::from_utf8_lossy(&out.stdout).trim());
}
