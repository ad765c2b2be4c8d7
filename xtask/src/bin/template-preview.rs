//! Prints template.yaml as it will be once every planned consumer is wired (their binaries
//! exist), so `scripts/check-infra.sh` can lint the consumer half of the generator today.

fn main() {
    print!("{}", xtask::infra::template_yaml_with(true));
}
