import Report
import Testing

@Suite struct ReportTests {
  static let rows = [
    MetricSummary(
      point: 0, parameters: [Assignment(key: "routers.count", value: "1")], scope: "aggregate",
      metric: "forwarded_pps", unit: "pps", count: 5, mean: 750_012.4, halfWidth: 1234.5, level: 0.95,
      standardDeviation: 994, min: 748_000, max: 751_000),
    MetricSummary(
      point: 0, parameters: [Assignment(key: "routers.count", value: "1")], scope: "aggregate",
      metric: "loss_fraction", unit: "1", count: 5, mean: 0.0412, halfWidth: 0.00213, level: 0.95,
      standardDeviation: 0.0017, min: 0.039, max: 0.044),
    MetricSummary(
      point: 1, parameters: [Assignment(key: "routers.count", value: "2, bridged")], scope: "vr0",
      metric: "forwarded_pps", unit: "pps", count: 1, mean: 375_000, halfWidth: .nan, level: 0.95,
      standardDeviation: 0, min: 375_000, max: 375_000),
  ]

  @Test func tableAlignsColumnsAndPutsUnitsInHeaders() {
    var t = Table(columns: [.init("name"), .init("rate (pps)", alignment: .right)])
    t.append(["vr0", "1"])
    t.append(["aggregate", "130000"])
    #expect(
      t.render() == """
        name       rate (pps)
        ---------  ----------
        vr0                 1
        aggregate      130000

        """)
  }

  @Test func summaryTableIsPivotedByMetric() {
    #expect(
      SummaryReport.table(Self.rows) == """
        point  routers.count  scope      n  forwarded_pps (pps)    loss_fraction
        -----  -------------  ---------  -  -------------------  ---------------
            0  1              aggregate  5        750000 ± 1200  0.0412 ± 0.0021
            1  2, bridged     vr0        1               375000

        """)
  }

  @Test func summaryCSVIsTidyAndStable() {
    #expect(
      SummaryReport.csv(Self.rows) == """
        point,routers.count,scope,metric,unit,n,mean,ci_half_width,ci_low,ci_high,ci_level,std_dev,min,max
        0,1,aggregate,forwarded_pps,pps,5,750012.4,1234.5,748777.9,751246.9,0.95,994,748000,751000
        0,1,aggregate,loss_fraction,1,5,0.0412,0.00213,0.03907,0.04333,0.95,0.0017,0.039,0.044
        1,"2, bridged",vr0,forwarded_pps,pps,1,375000,,,,0.95,0,375000,375000

        """)
  }

  @Test func summaryJSONHasSortedKeysAndNullsForMissingIntervals() throws {
    let json = try SummaryReport.json([Self.rows[2]], metadata: ["master_seed": "42"])
    #expect(
      json == """
        {
          "metadata" : {
            "master_seed" : "42"
          },
          "summaries" : [
            {
              "ci_half_width" : null,
              "ci_high" : null,
              "ci_level" : 0.95,
              "ci_low" : null,
              "max" : 375000,
              "mean" : 375000,
              "metric" : "forwarded_pps",
              "min" : 375000,
              "n" : 1,
              "parameters" : {
                "routers.count" : "2, bridged"
              },
              "point" : 1,
              "scope" : "vr0",
              "std_dev" : 0,
              "unit" : "pps"
            }
          ]
        }

        """)
  }

  @Test func numbersAreFormattedDeterministically() {
    #expect(NumberFormatting.exact(750_000) == "750000")
    #expect(NumberFormatting.exact(0.1) == "0.1")
    #expect(NumberFormatting.exact(.nan) == "")
    #expect(NumberFormatting.exact(-.infinity) == "-inf")
    #expect(NumberFormatting.significant(1.5e9, digits: 3) == "1.5e+09")
    #expect(NumberFormatting.withUncertainty(12.345, halfWidth: 0.0) == "12.345")
    #expect(NumberFormatting.withUncertainty(99.96, halfWidth: 0.96) == "99.96 ± 0.96")
  }

  @Test func csvQuotesOnlyWhenNeeded() {
    #expect(CSV.escape("plain") == "plain")
    #expect(CSV.escape("a,b") == "\"a,b\"")
    #expect(CSV.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
  }
}

@Suite("plain number formatting")
struct PlainFormattingTests {
  @Test(
    arguments: [
      (21_819_800.4, "21819800"), (0.092207412, "0.0922074"), (73.95649, "73.9565"), (0, "0"), (1, "1"),
      (-2.5, "-2.5"), (1.5e-6, "1.5e-06"), (2e16, "2e+16"), (129_993.6667, "129994"),
    ] as [(Double, String)])
  func sixSignificantDigitsWithoutExponent(value: Double, text: String) {
    #expect(NumberFormatting.plain(value) == text)
  }

  @Test func zeroWidthIntervalsPrintPlainly() {
    #expect(NumberFormatting.withUncertainty(21_819_800, halfWidth: 0) == "21819800")
    #expect(NumberFormatting.withUncertainty(21_843_000, halfWidth: 43_000) == "21843000 ± 43000")
  }

  /// A Jain index of 0.99999999997 with a half-width of 6.4e-11 (a run of `vrsim run`): six
  /// significant digits of the mean round to 1, and the half-width keeps two digits, in
  /// exponent form, instead of twelve decimals of the mean.
  @Test func intervalsBelowSixDigitsDoNotStretchTheMean() {
    #expect(NumberFormatting.withUncertainty(0.999_999_999_970, halfWidth: 6.4e-11) == "1 ± 6.4e-11")
    // At a millionth of the mean and above, the interval sets the digits as before.
    #expect(NumberFormatting.withUncertainty(0.094197, halfWidth: 0.000023) == "0.094197 ± 0.000023")
  }
}
