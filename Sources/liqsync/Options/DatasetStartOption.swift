import ArgumentParser
import CommandLineSupport
import LiquidationModel

/// Where history may start: by default not before the dataset's documented first hour, since
/// "no data" stored as zero rows reads as "no liquidations" in every sum (`assets add --since`,
/// `backfill --from`).
struct DatasetStartOption: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Load hours before the dataset's documented start (\(KaikoDataset.firstHour)) too: where Kaiko sends nothing "
            + "they are stored as zero rows. By default history starts there."))
    var beforeDatasetStart = false

    /// The first hour to load for `argument`, saying so on stderr when it is not the one given.
    func start(_ argument: HourArgument, option: String) -> UTCHour {
        let start = KaikoDataset.loadStart(requested: argument.hour, includingEarlier: beforeDatasetStart)
        if start != argument.hour {
            Console.warn(
                "\(option) \(argument.text) is before Kaiko's liquidation data starts (\(KaikoDataset.firstHour)): "
                    + "loading from \(start) (hours before it would be stored as zero rows that mean 'no data'; "
                    + "--before-dataset-start loads them anyway)")
        } else if argument.hour < KaikoDataset.firstHour {
            Console.warn(
                "Kaiko's liquidation data starts at \(KaikoDataset.firstHour); the hours before it are stored as zero rows "
                    + "where Kaiko sends nothing (--before-dataset-start)")
        }
        return start
    }
}
