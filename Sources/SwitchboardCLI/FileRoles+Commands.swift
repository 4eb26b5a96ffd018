// What each command reads and writes, for `OutputGuard` (run by the entry point before the command).
// A new command that reads or writes files must conform here; `BadInputTests` checks that every command does.

extension GenerateEcosystem: ReadsAndWritesFiles {
    static let writtenFiles = [
        "partners.csv", "leads.csv", "outcomes.csv", "activity.csv", "actions.csv", "action_history.csv", "incoming.csv",
        "truth/pairs.csv", "truth/churn.csv", "truth/actions.csv", "truth/partners.csv", "firmographics.csv",
        "performance.csv", "applicants.csv", "truth/potential.csv", "truth/performance.csv", "truth/applicants.csv",
        "onboarding_history.csv", "onboarding_new.csv", "truth/onboarding.csv", "truth/onboarding_segments.csv",
    ]

    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.write("--out", folder: out, files: Self.writtenFiles)
        return roles
    }
}

extension GenerateLeads: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.write("--out", out)
        roles.write("--truth", truth)
        return roles
    }
}

extension TrainTabular: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", data)
        roles.write("--out", out)
        roles.write("--shapes", shapes)
        return roles
    }
}

extension Shapes: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--model", model)
        roles.write("--out", out)
        return roles
    }
}

extension ChurnInput {
    func addInputs(to roles: inout FileRoles) {
        roles.read("--activity", activity)
        roles.read("--partners", partners)
    }
}

extension TrainChurn: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        input.addInputs(to: &roles)
        roles.write("--out", out)
        return roles
    }
}

extension MatchInput {
    func addInputs(to roles: inout FileRoles) {
        roles.read("--outcomes", outcomes)
        roles.read("--leads", leads)
        roles.read("--partners", partners)
        roles.read("--action-history", actionHistory)
    }
}

extension TrainMatch: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        input.addInputs(to: &roles)
        roles.write("--out", out)
        return roles
    }
}

extension ModelAndData {
    func addInputs(to roles: inout FileRoles) {
        roles.read("--model", model)
        roles.read("--data", data)
    }
}

extension PredictTabular: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        input.addInputs(to: &roles)
        roles.write("--out", out)
        return roles
    }
}

extension PredictChurn: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--model", model)
        input.addInputs(to: &roles)
        roles.write("--out", out)
        return roles
    }
}

extension EvaluateTabular: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        input.addInputs(to: &roles)
        roles.write("--json", json)
        return roles
    }
}

extension EvaluateMatch: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--model", model)
        roles.read("--outcomes", outcomes)
        roles.read("--leads", leads)
        roles.read("--partners", partners)
        roles.read("--action-history", actionHistory)
        roles.write("--json", json)
        return roles
    }
}

extension EvaluateChurn: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--model", model)
        roles.read("--activity", activity)
        roles.read("--partners", partners)
        roles.write("--json", json)
        return roles
    }
}

extension RecommendSettingsOptions {
    func addInputs(to roles: inout FileRoles) {
        roles.read("--match-model", matchModel)
        roles.read("--churn-model", churnModel)
    }
}

extension EvaluateActions: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read(
            "--data", folder: data,
            files: [
                "partners.csv", "leads.csv", "outcomes.csv", "activity.csv", "actions.csv", "action_history.csv",
                "truth/partners.csv", "truth/actions.csv",
            ])
        options.addInputs(to: &roles)
        roles.write("--json", json)
        roles.write("--details", details)
        return roles
    }
}

extension Encode: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        input.addInputs(to: &roles)
        roles.write("--out", out)
        return roles
    }
}

extension Score: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--model", model)
        roles.read("--leads", leads)
        roles.read("--partners", partners)
        roles.read("--rules", rules)
        roles.read("--owners", owners)
        roles.write("--out", out)
        return roles
    }
}

extension Simulate: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        input.addInputs(to: &roles)
        roles.read("--model", model)
        roles.read("--truth", folder: truth, files: ["partners.csv", "pairs.csv"])
        roles.read("--config", config)
        roles.write("--out", out)
        return roles
    }
}

extension RecommendActions: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--partners", records.partners)
        roles.read("--leads", records.leads)
        roles.read("--outcomes", records.outcomes)
        roles.read("--activity", records.activity)
        roles.read("--actions", records.actions)
        roles.read("--action-history", records.actionHistory)
        roles.read("--performance", records.performance)
        options.addInputs(to: &roles)
        roles.write("--out", out)
        roles.write("--todo", todo)
        return roles
    }
}

extension Segment: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--partners", partners)
        roles.read("--activity", activity)
        roles.read("--outcomes", outcomes)
        roles.read("--leads", leads)
        roles.read("--churn-model", churnModel)
        let files = outputs
        roles.write("--out", files[0].path)
        roles.write(kpis == nil ? "--kpis (default)" : "--kpis", files[1].path)
        roles.write(moves == nil ? "--moves (default)" : "--moves", files[2].path)
        return roles
    }
}

extension RouteModel: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--model", model)
        roles.read("--leads", leads)
        roles.read("--partners", partners)
        roles.read("--rules", rules)
        roles.read("--owners", owners)
        roles.read("--config", settings.config)
        roles.write("--out", output.out)
        roles.write("--prices-out", output.pricesOut)
        return roles
    }
}

extension RouteCandidates: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--candidates", candidates)
        roles.read("--capacities", capacities)
        roles.read("--config", settings.config)
        roles.write("--out", output.out)
        roles.write("--prices-out", output.pricesOut)
        return roles
    }
}

extension RouteStream: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--prices", prices)
        roles.read("--capacities", capacities)
        return roles
    }
}

extension Report: ReadsAndWritesFiles {
    static let dataFiles = [
        "partners.csv", "leads.csv", "outcomes.csv", "activity.csv", "actions.csv", "action_history.csv", "incoming.csv",
        "truth/partners.csv", "truth/pairs.csv", "firmographics.csv", "performance.csv", "applicants.csv",
    ]

    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--data", folder: data, files: Self.dataFiles)
        roles.read("--models", folder: models, files: ["match.json", "churn.json"])
        roles.write("--out", out)
        return roles
    }
}

extension RecommendOnboarding: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read("--history", history)
        roles.read("--partners", partners)
        roles.read("--actions", actions)
        roles.write("--out", out)
        return roles
    }
}

extension EvaluateOnboarding: ReadsAndWritesFiles {
    var fileRoles: FileRoles {
        var roles = FileRoles()
        roles.read(
            "--data", folder: data,
            files: [
                "actions.csv", "onboarding_history.csv", "onboarding_new.csv", "truth/onboarding.csv",
                "truth/onboarding_segments.csv",
            ])
        roles.write("--json", json)
        roles.write("--out", out)
        return roles
    }
}
