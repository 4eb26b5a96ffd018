import Foundation
import Testing
@testable import Learning

/// The reference figures of ../shared/data/README.md, reproduced by the same pipeline the CLI runs. Skipped when
/// the shared data sets are not beside the checkout.
@Suite("Real data sets")
struct RealDataTests {
    static let dataDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    static func table(_ relativePath: String) throws -> CSVTable? {
        let url = dataDirectory.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try CSVTable(parsing: Array(data), source: relativePath)
    }

    @Test func telcoChurnReachesTheReferenceAUC() throws {
        guard let table = try Self.table("telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv") else { return }
        let request = TabularTrainingRequest(
            target: "Churn", columns: ColumnOptions(drop: ["customerID"], missingPolicy: .impute), crossValidationFolds: 5,
            seed: 42)
        let result = try TabularTrainer.train(table, request: request)
        let cv = try #require(result.model.metrics.crossValidation)
        #expect(cv.rocAUC.mean >= 0.845, "telco 5-fold ROC AUC \(cv.rocAUC.mean)")
        #expect(cv.logLoss.mean <= 0.425, "telco 5-fold log loss \(cv.logLoss.mean)")
        #expect(result.model.training.converged)
    }

    @Test func bankMarketingWithoutDurationReachesTheReferenceAUC() throws {
        guard let table = try Self.table("bank-marketing/bank-full.csv") else { return }
        let request = TabularTrainingRequest(
            target: "y", columns: ColumnOptions(drop: ["duration"]), crossValidationFolds: 5, seed: 42)
        let result = try TabularTrainer.train(table, request: request)
        let cv = try #require(result.model.metrics.crossValidation)
        #expect(cv.rocAUC.mean >= 0.765, "bank 5-fold ROC AUC \(cv.rocAUC.mean)")
        #expect(cv.logLoss.mean <= 0.305, "bank 5-fold log loss \(cv.logLoss.mean)")
        #expect(result.model.target.positive == "yes")
    }

    @Test func everySharedDataSetReadsWithoutEdits() throws {
        let files = [
            "telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "bank-marketing/bank-full.csv",
            "bank-marketing/bank-additional-full.csv", "x-education-leads/Leads.csv",
            "olist-funnel/olist_marketing_qualified_leads_dataset.csv", "olist-funnel/olist_closed_deals_dataset.csv",
            "crm-sales-pipeline/sales_pipeline.csv", "crm-sales-pipeline/accounts.csv",
        ]
        for file in files {
            guard let table = try Self.table(file) else { continue }
            #expect(table.rowCount > 0, "\(file)")
        }
    }
}
