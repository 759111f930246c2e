/// Which liqsync this is: printed by `liqsync --version` and exported as `liqsync_build_info`.
public enum Release {
    public static let version = "0.4.0"
}
