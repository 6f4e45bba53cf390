package io.r1stream.serve;

/**
 * An error answered in the OpenAI shape {@code {"error":{"message","type","param","code"}}} with its HTTP
 * status. Thrown anywhere while a request is handled; the router turns it into the response.
 *
 * @param param the request field at fault, or null
 * @param code  a machine-readable code, or null
 * @param retryAfterSeconds sent as {@code Retry-After} when > 0 (429, 503)
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final int retryAfterSeconds;

    public ApiError(int status, String type, String message, String param, String code, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request is wrong; the message says what to change. */
    public static ApiError badRequest(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, null, 0);
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "authentication_error", "missing or wrong API key: send 'Authorization: Bearer <key>'",
                null, "invalid_api_key", 0);
    }

    public static ApiError notFound(String message, String code) {
        return new ApiError(404, "invalid_request_error", message, null, code, 0);
    }

    public static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", method + " is not allowed on " + path, null, "method_not_allowed", 0);
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request body larger than " + limit
                + " bytes; send a shorter prompt or raise serve's --max-body-bytes", null, "request_too_large", 0);
    }

    public static ApiError queueFull(int limit) {
        return new ApiError(429, "rate_limit_error", "the server is at its limit of " + limit
                + " requests (running + queued); retry later or raise --max-queue", null, "queue_full", 1);
    }

    public static ApiError loading() {
        return new ApiError(503, "service_unavailable", "the model is still loading; retry shortly", null, "model_loading", 2);
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null, 0);
    }

    public int status() { return status; }
    public String type() { return type; }
    public String param() { return param; }
    public String code() { return code; }
    public int retryAfterSeconds() { return retryAfterSeconds; }
}
