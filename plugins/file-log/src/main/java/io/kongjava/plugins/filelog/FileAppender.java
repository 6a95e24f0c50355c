package io.kongjava.plugins.filelog;

import io.kongjava.pdk.metrics.PluginCounters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Appends whole lines to one file, shared by every plugin instance that logs to the same path in this
 * process. One writer at a time, each line in full, so lines never interleave or tear. Before each line the
 * open file is compared with what the path names now: after logrotate renames or deletes the file, the
 * next line goes to a fresh file at the path. A failed open or write is reported and counted, and the next
 * line tries again with a fresh open.
 */
final class FileAppender {

    private static final ConcurrentHashMap<Path, FileAppender> APPENDERS = new ConcurrentHashMap<>();
    /** The appender for each path as configured, so a line does not resolve its path again. */
    private static final ConcurrentHashMap<String, FileAppender> BY_CONFIGURED_PATH = new ConcurrentHashMap<>();

    /** Opens the file for appending; a seam so tests can stand in a disk that fills up. */
    @FunctionalInterface
    interface Opener {
        FileChannel open(Path path) throws IOException;
    }

    /** Result of one append: on failure, what failed ("open" or "write") and the system's reason. */
    record Outcome(boolean written, String stage, String failure) {
        static final Outcome OK = new Outcome(true, null, null);
    }

    private final Path path;
    private final Opener opener;
    /** Fair: under a burst of concurrent log events a waiter would otherwise lose to newcomers until its timeout. */
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lines = new AtomicLong();
    private FileChannel channel;
    private Object fileKey;

    FileAppender(Path path, Opener opener) {
        this.path = path;
        this.opener = opener;
    }

    static FileAppender forPath(String path) {
        FileAppender known = BY_CONFIGURED_PATH.get(path);
        return known != null ? known : BY_CONFIGURED_PATH.computeIfAbsent(path, FileAppender::resolve);
    }

    private static FileAppender resolve(String path) {
        Path absolute = Path.of(path).toAbsolutePath().normalize();
        return APPENDERS.computeIfAbsent(absolute, p -> {
            FileAppender appender = new FileAppender(p, target -> FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
            Map<String, String> labels = Map.of("path", p.toString());
            PluginCounters.register("kong_java_file_log_lines_written", "Lines java-file-log appended", labels, appender::lines);
            PluginCounters.register("kong_java_file_log_lines_lost", "Lines java-file-log could not append", labels, appender::failures);
            return appender;
        });
    }

    long failures() {
        return failures.get();
    }

    long lines() {
        return lines.get();
    }

    Outcome append(byte[] line, boolean reopen, Set<PosixFilePermission> mode) {
        try {
            if (!lock.tryLock(5, TimeUnit.SECONDS)) {
                failures.incrementAndGet();
                return new Outcome(false, "write", "timed out waiting for other writers of " + path);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "write", "interrupted");
        }
        try {
            if (channel != null && (reopen || !stillThere())) {
                closeQuietly();
            }
            if (channel == null) {
                try {
                    open(mode);
                } catch (IOException e) {
                    closeQuietly();
                    failures.incrementAndGet();
                    return new Outcome(false, "open", reason(e));
                }
            }
            ByteBuffer buffer = ByteBuffer.wrap(line);
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                // A line cut short (disk full) must not stay in the file: the next line would be glued to it. The
                // file's size is asked only now, not before every line: one system call fewer per line.
                if (buffer.position() > 0) {
                    try {
                        channel.truncate(channel.size() - buffer.position());
                    } catch (IOException ignored) {
                        // the file may be gone or read-only now; nothing more can be done for it
                    }
                }
                closeQuietly();
                failures.incrementAndGet();
                return new Outcome(false, "write", reason(e));
            }
            lines.incrementAndGet();
            if (reopen) {
                closeQuietly();
            }
            return Outcome.OK;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Opens the file at the path, creating it with {@code mode} (never its directory). Rotation may rename or
     * delete the path between the steps of an open; then the open starts over, so the line is not lost and
     * the channel is known to be the file the path names.
     */
    private void open(Set<PosixFilePermission> mode) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                openOnce(mode);
                return;
            } catch (NoSuchFileException | RotatedWhileOpening e) {
                closeQuietly();
                if (attempt == 3 || !Files.isDirectory(path.toAbsolutePath().getParent())) {
                    throw e instanceof RotatedWhileOpening ? new IOException("the file kept moving while being opened") : e;
                }
            }
        }
    }

    private static final class RotatedWhileOpening extends IOException {
    }

    private void openOnce(Set<PosixFilePermission> mode) throws IOException {
        if (Files.isDirectory(path)) {
            throw new IOException("Is a directory");
        }
        try {
            // open(O_CREAT, mode) as Kong's file-log opens it: the process umask takes bits away (a hardened 077 gives
            // 0600 for 0644) and never adds any
            Files.createFile(path, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(mode));
        } catch (FileAlreadyExistsException exists) {
            // appending to what is there; a symbolic link to nothing yet is followed, as open(O_CREAT) follows it
            if (Files.isSymbolicLink(path) && !Files.exists(path)) {
                Path target = path.resolveSibling(Files.readSymbolicLink(path));
                try {
                    Files.createFile(target, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(mode));
                } catch (FileAlreadyExistsException raced) {
                    // created meanwhile: appending to it
                }
            }
        }
        Object before = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        channel = opener.open(path);
        Object after = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        if (!Objects.equals(before, after)) {
            throw new RotatedWhileOpening();
        }
        fileKey = after;
    }

    /** Whether the path still names the file we have open (not renamed or deleted by log rotation). */
    private boolean stillThere() {
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return Objects.equals(current, fileKey);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the descriptor is gone either way
            }
            channel = null;
            fileKey = null;
        }
    }

    /** The OS's words, as Kong's file-log reports them ("No such file or directory", "Permission denied"). */
    private static String reason(IOException e) {
        return switch (e) {
            case NoSuchFileException n -> "No such file or directory";
            case java.nio.file.AccessDeniedException a -> "Permission denied";
            default -> {
                String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                int colon = message.lastIndexOf(": ");
                yield message.startsWith("/") && colon > 0 ? message.substring(colon + 2) : message;
            }
        };
    }
}
