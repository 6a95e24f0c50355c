package io.kongjava.emulation;

/** The default texts of Kong's error bodies ({@code {"message": ...}}) by status. */
public final class KongErrors {

    private KongErrors() {
    }

    public static String defaultMessage(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not found";
            case 405 -> "Method not allowed";
            case 413 -> "Request size limit exceeded";
            case 429 -> "API rate limit exceeded";
            case 500 -> "An unexpected error occurred";
            case 502 -> "An invalid response was received from the upstream server";
            case 503 -> "The upstream server is currently unavailable";
            case 504 -> "The upstream server is timing out";
            default -> "The upstream server responded with " + status;
        };
    }
}
