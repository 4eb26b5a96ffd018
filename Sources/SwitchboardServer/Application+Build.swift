import Foundation
import HTTPTypes
import Hummingbird
import Learning
import Logging
import NIOCore
import ServiceLifecycle
import Switchboard

/// Where and how the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The largest request body accepted (413 beyond).
    public var maxBodyBytes: Int
    /// The most leads in one `leads:batch` request.
    public var maxBatchLeads: Int
    /// How often the background ticker advances the clock (offer expiries, queue overflow), in seconds.
    public var tickSeconds: Double

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 1 << 20, maxBatchLeads: Int = 10_000,
        tickSeconds: Double = 1
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchLeads = maxBatchLeads
        self.tickSeconds = tickSeconds
    }
}

/// The request context: Hummingbird's, plus the caller's role once its token is checked.
public struct LiveRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var role: AccessRole?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        role = nil
    }
}

/// Checks the bearer token (every route but /healthz), counts the request and its latency, and turns errors that
/// escape a handler into JSON errors.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = LiveRequestContext
    let tokens: AccessTokens
    let metrics: ServiceMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let route = context.endpointPath ?? request.uri.path
        var response: Response
        do {
            if route == "/healthz" {
                response = try await next(request, context)
            } else if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                let role = tokens.role(of: String(header.dropFirst("Bearer ".count)))
            {
                context.role = role
                response = try await next(request, context)
            } else {
                response = Routes.response(
                    .error(
                        401, request.headers[.authorization] == nil ? "missing bearer token" : "unknown bearer token",
                        field: "Authorization"))
                response.headers[.wwwAuthenticate] = "Bearer"
            }
        } catch let error as HTTPError {
            response = Routes.response(.error(Int(error.status.code), error.body ?? error.status.reasonPhrase))
        } catch {
            response = Routes.response(.error(500, "\(error)"))
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        metrics.record(method: request.method.rawValue, route: route, status: Int(response.status.code), seconds: seconds)
        return response
    }
}

/// Advances the service's clock every few seconds (offer expiries, queue overflow) until shutdown.
struct Ticker: Service {
    let service: LiveService
    let seconds: Double

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                } catch {
                    return
                }
                _ = await service.tick()
            }
        }
    }
}

/// The application: the routes over `service`, token checks, metrics, the ticker.
/// - Parameter onRunning: called with the bound address once the server listens (port 0 picks a free port).
public func buildApplication(
    service: LiveService, tokens: AccessTokens, configuration: ServerConfiguration, logger: Logger? = nil,
    onRunning: @escaping @Sendable (String) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(service: service, tokens: tokens, configuration: configuration)
    var log = logger ?? Logger(label: "switchboard.serve")
    if logger == nil { log.logLevel = .warning }
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard"),
        services: [Ticker(service: service, seconds: configuration.tickSeconds)],
        onServerRunning: { channel in
            let address = channel.localAddress
            await onRunning("\(address?.ipAddress ?? configuration.host):\(address?.port ?? configuration.port)")
        }, logger: log)
}

/// The router alone (tests use it through `Application` and HummingbirdTesting).
public func buildRouter(service: LiveService, tokens: AccessTokens, configuration: ServerConfiguration)
    -> Hummingbird.Router<
        LiveRequestContext
    >
{
    let router = Hummingbird.Router(context: LiveRequestContext.self)
    let metrics = ServiceMetrics()
    router.add(middleware: AccessMiddleware(tokens: tokens, metrics: metrics))
    Routes(service: service, configuration: configuration, metrics: metrics).register(on: router)
    return router
}

/// The API's routes. Each checks the caller's role, reads and validates the body (nothing is written for a rejected
/// request), and calls the service.
struct Routes: Sendable {
    let service: LiveService
    let configuration: ServerConfiguration
    let metrics: ServiceMetrics

    static func response(_ answer: ServiceAnswer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        if answer.replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    typealias Handler = @Sendable (Request, LiveRequestContext) async -> ServiceAnswer

    /// Wraps a handler: refuses roles `allowed` rejects (403), answers.
    func guarded(_ allowed: @escaping @Sendable (AccessRole) -> Bool, _ handler: @escaping Handler)
        -> @Sendable (
            Request, LiveRequestContext
        ) async throws -> Response
    {
        { request, context in
            guard let role = context.role, allowed(role) else {
                return Self.response(
                    .error(403, "the token's role (\(context.role?.description ?? "none")) may not call this endpoint"))
            }
            return Self.response(await handler(request, context))
        }
    }

    static func adminOrIntegration(_ role: AccessRole) -> Bool { role == .admin || role == .integration }
    static func adminOnly(_ role: AccessRole) -> Bool { role == .admin }
    static func anyRole(_ role: AccessRole) -> Bool { true }

    /// The request body, at most `maxBodyBytes` (413 beyond), as a JSON object (400 naming `(body)` otherwise).
    func jsonBody(_ request: Request, allowEmpty: Bool = false) async -> Result<([String: Any], [UInt8]), ServiceAnswer> {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            return .failure(.error(413, "the body is larger than \(limit) bytes", field: "(body)"))
        }
        let bytes: [UInt8]
        do {
            bytes = Array(try await request.body.collect(upTo: limit).readableBytesView)
        } catch {
            return .failure(.error(413, "the body is larger than \(limit) bytes", field: "(body)"))
        }
        if allowEmpty && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return .success(([:], bytes))
        }
        do throws(FieldError) {
            return .success((try LiveRequests.object(bytes), bytes))
        } catch {
            return .failure(.error(400, error.message, field: error.field))
        }
    }

    /// The idempotency key (scoped to the caller's role) with the request's digest; 400 for a malformed key.
    func idempotencyKey(_ request: Request, _ context: LiveRequestContext, body: [UInt8]) -> Result<
        (key: String, hash: String)?, ServiceAnswer
    > {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return .success(nil) }
        guard (1...200).contains(key.count), key.allSatisfy({ $0.isASCII && $0.asciiValue! >= 0x21 && $0.asciiValue! < 0x7F })
        else {
            return .failure(.error(400, "expected 1 to 200 printable ASCII characters", field: "Idempotency-Key"))
        }
        var digest = FNV1a64()
        digest.update(Array("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        digest.update(body)
        return .success(("\(context.role?.description ?? "")|\(key)", digest.hexDigest))
    }

    /// `jsonBody` and `idempotencyKey` together: what every state-changing POST reads first.
    func keyedBody(_ request: Request, _ context: LiveRequestContext, allowEmpty: Bool = false) async -> Result<
        (object: [String: Any], key: (key: String, hash: String)?), ServiceAnswer
    > {
        switch await jsonBody(request, allowEmpty: allowEmpty) {
        case let .failure(answer): return .failure(answer)
        case let .success((object, bytes)):
            return idempotencyKey(request, context, body: bytes).map { (object, $0) }
        }
    }

    func register(on router: Hummingbird.Router<LiveRequestContext>) {
        router.get("/healthz") { _, _ in
            let health = await service.health()
            return Self.response(.json(200, ["status": "ok", "leads": health.leads, "events": health.events]))
        }
        router.get(
            "/metrics",
            use: guarded(Self.adminOrIntegration) { _, _ in
                let text = metrics.text(gauges: await service.gauges())
                return ServiceAnswer(status: 200, body: Array(text.utf8), contentType: "text/plain; version=0.0.4")
            })
        router.post(
            "/v1/leads",
            use: guarded(Self.adminOrIntegration) { request, context in
                await submit(request, context, batch: false)
            })
        router.post(
            "/v1/leads:batch",
            use: guarded(Self.adminOrIntegration) { request, context in
                await submit(request, context, batch: true)
            })
        router.get(
            "/v1/leads/{id}",
            use: guarded(Self.anyRole) { _, context in
                await service.leadHistory(context.parameters.get("id") ?? "", role: context.role!)
            })
        for action in ["accept", "decline"] {
            router.post(
                "/v1/offers/{id}/\(action)",
                use: guarded({ $0 == .admin || $0.partnerID != nil }) { request, context in
                    await answerOffer(request, context, accept: action == "accept")
                })
        }
        router.post(
            "/v1/outcomes",
            use: guarded(Self.adminOrIntegration) { request, context in
                await outcome(request, context)
            })
        router.get(
            "/v1/partners/{id}",
            use: guarded(Self.anyRole) { _, context in
                let id = context.parameters.get("id") ?? ""
                if let own = context.role?.partnerID, own != id {
                    return .error(403, "a partner token reads only its own partner")
                }
                return await service.partner(id)
            })
        router.get(
            "/v1/partners/{id}/offers",
            use: guarded(Self.anyRole) { _, context in
                let id = context.parameters.get("id") ?? ""
                if let own = context.role?.partnerID, own != id {
                    return .error(403, "a partner token reads only its own offers")
                }
                return await service.partnerOffers(id)
            })
        for action in ["pause", "resume"] {
            router.post(
                "/v1/partners/{id}/\(action)",
                use: guarded({ $0 == .admin || $0.partnerID != nil }) { request, context in
                    let id = context.parameters.get("id") ?? ""
                    if let own = context.role?.partnerID, own != id { return .error(403, "a partner token pauses only itself") }
                    let body: [String: Any]
                    switch await jsonBody(request, allowEmpty: true) {
                    case let .failure(answer): return answer
                    case let .success((object, _)): body = object
                    }
                    do throws(FieldError) {
                        try LiveRequests.checkKeys(body, known: action == "pause" ? ["reason"] : [])
                        let reason = try LiveRequests.text(body, "reason", required: false) ?? "paused through the API"
                        let actor = context.role!.description
                        return action == "pause"
                            ? await service.pause(partner: id, reason: reason, actor: actor)
                            : await service.resume(partner: id, actor: actor)
                    } catch {
                        return .error(400, error.message, field: error.field)
                    }
                })
        }
        router.post(
            "/v1/models/reload",
            use: guarded(Self.adminOnly) { _, _ in
                await service.reload()
            })
        router.get(
            "/v1/export/assignments",
            use: guarded(Self.adminOrIntegration) { request, _ in
                var since: Timestamp?
                if let text = request.uri.queryParameters.get("since") {
                    guard let time = Timestamp(iso: Substring(text)) else {
                        return .error(400, "expected an ISO 8601 date or time such as 2026-01-01T00:00:00Z", field: "since")
                    }
                    since = time
                }
                return await service.exportAssignments(since: since)
            })
    }

    /// `POST /v1/leads` (one lead object) and `POST /v1/leads:batch` (`{"leads": [...]}`).
    func submit(_ request: Request, _ context: LiveRequestContext, batch: Bool) async -> ServiceAnswer {
        let object: [String: Any], key: (key: String, hash: String)?
        switch await keyedBody(request, context) {
        case let .failure(answer): return answer
        case let .success(body): (object, key) = body
        }
        let now = service.clock.now()
        var leads: [Lead] = []
        do throws(FieldError) {
            if batch {
                try LiveRequests.checkKeys(object, known: ["leads"])
                guard let list = object["leads"] as? [Any] else {
                    throw FieldError(field: "leads", message: "expected a list of lead objects")
                }
                if list.isEmpty { throw FieldError(field: "leads", message: "expected at least one lead") }
                if list.count > configuration.maxBatchLeads {
                    throw FieldError(field: "leads", message: "at most \(configuration.maxBatchLeads) leads (got \(list.count))")
                }
                var seen: [String: Int] = [:]
                for (index, item) in list.enumerated() {
                    guard let leadObject = item as? [String: Any] else {
                        throw FieldError(field: "leads[\(index)]", message: "expected a lead object")
                    }
                    let lead: Lead
                    do throws(FieldError) {
                        lead = try LiveRequests.lead(leadObject, now: now)
                    } catch {
                        throw error.nested(in: "leads[\(index)].")
                    }
                    if let first = seen.updateValue(index, forKey: lead.id) {
                        throw FieldError(field: "leads[\(index)].id", message: "'\(lead.id)' is also leads[\(first)]")
                    }
                    leads.append(lead)
                }
            } else {
                leads = [try LiveRequests.lead(object, now: now)]
            }
        } catch {
            return .error(400, error.message, field: error.field)
        }
        let scoring = service.scoring
        let inputs: [LiveLeadInput]
        do {
            inputs = try scoring.inputs(for: leads)
        } catch {
            return .error(500, "scoring failed: \(error)")
        }
        return await service.submit(
            inputs, modelVersion: scoring.modelVersion, actor: context.role!.description, key: key, batch: batch)
    }

    /// `POST /v1/offers/{id}/accept|decline`: a partner token answers only its own offers (403); an unknown offer is
    /// 404.
    func answerOffer(_ request: Request, _ context: LiveRequestContext, accept: Bool) async -> ServiceAnswer {
        let offerID = context.parameters.get("id") ?? ""
        let object: [String: Any], key: (key: String, hash: String)?
        switch await keyedBody(request, context, allowEmpty: accept) {
        case let .failure(answer): return answer
        case let .success(body): (object, key) = body
        }
        guard let owner = await service.offerPartner(offerID) else { return .error(404, "no offer '\(offerID)'") }
        let role = context.role!
        if let partner = role.partnerID, partner != owner {
            return .error(403, "offer '\(offerID)' is not for partner \(partner)")
        }
        if accept {
            do throws(FieldError) {
                try LiveRequests.checkKeys(object, known: [])
            } catch {
                return .error(400, error.message, field: error.field)
            }
            return await service.accept(offer: offerID, actor: role.description, key: key)
        }
        let reason: String
        do throws(FieldError) {
            try LiveRequests.checkKeys(object, known: ["reason"])
            reason = try LiveRequests.text(object, "reason")!
        } catch {
            return .error(400, error.message, field: error.field)
        }
        return await service.decline(offer: offerID, reason: reason, actor: role.description, key: key)
    }

    /// `POST /v1/outcomes`: `{"lead_id": …, "outcome": "won" | "lost", "revenue": …}`.
    func outcome(_ request: Request, _ context: LiveRequestContext) async -> ServiceAnswer {
        let object: [String: Any], key: (key: String, hash: String)?
        switch await keyedBody(request, context) {
        case let .failure(answer): return answer
        case let .success(body): (object, key) = body
        }
        let leadID: String, won: Bool, revenue: Double
        do throws(FieldError) {
            try LiveRequests.checkKeys(object, known: ["lead_id", "outcome", "revenue"])
            leadID = try LiveRequests.text(object, "lead_id")!
            let outcome = try LiveRequests.text(object, "outcome")!
            guard outcome == "won" || outcome == "lost" else {
                throw FieldError(field: "outcome", message: "expected 'won' or 'lost' (got '\(outcome)')")
            }
            won = outcome == "won"
            revenue = try LiveRequests.number(object, "revenue", range: 0...1e15, required: false) ?? 0
            if !won && revenue != 0 { throw FieldError(field: "revenue", message: "a lost lead has no revenue (got \(revenue))") }
        } catch {
            return .error(400, error.message, field: error.field)
        }
        return await service.outcome(lead: leadID, won: won, revenue: revenue, actor: context.role!.description, key: key)
    }
}
