package io.kongjava.plugins.filelog;

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

    /** Result of one append: empty reason on success. */
    record Outcome(boolean written, String failure) {
        static final Outcome OK = new Outcome(true, null);
    }

    private final Path path;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lines = new AtomicLong();
    private FileChannel channel;
    private Object fileKey;

    private FileAppender(Path path) {
        this.path = path;
    }

    static FileAppender forPath(String path) {
        Path absolute = Path.of(path).toAbsolutePath().normalize();
        return APPENDERS.computeIfAbsent(absolute, FileAppender::new);
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
                return new Outcome(false, "timed out waiting for other writers of " + path);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted");
        }
        try {
            if (channel != null && (reopen || !stillThere())) {
                closeQuietly();
            }
            if (channel == null) {
                open(mode);
            }
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            lines.incrementAndGet();
            if (reopen) {
                closeQuietly();
            }
            return Outcome.OK;
        } catch (IOException e) {
            closeQuietly();
            failures.incrementAndGet();
            return new Outcome(false, reason(e));
        } finally {
            lock.unlock();
        }
    }

    private void open(Set<PosixFilePermission> mode) throws IOException {
        if (Files.isDirectory(path)) {
            throw new IOException("Is a directory");
        }
        boolean created = false;
        try {
            Files.createFile(path);
            created = true;
        } catch (FileAlreadyExistsException exists) {
            // appending to what is there
        }
        if (created) {
            // set explicitly: the process umask must not decide who can read the log
            Files.setPosixFilePermissions(path, mode);
        }
        channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
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
