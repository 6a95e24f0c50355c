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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Appends whole lines to one file, shared by every plugin instance that logs to the same path in this
 * process. One writer at a time, each line in full, so lines never interleave or tear; lines that arrive together
 * go out in one system call. Before each line the
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

    /** A line waiting for a writer, and what became of it. */
    private static final class Pending {
        final ByteBuffer line;
        final boolean reopen;
        final Set<PosixFilePermission> mode;
        final Thread waiter = Thread.currentThread();
        volatile Outcome outcome;

        Pending(byte[] line, boolean reopen, Set<PosixFilePermission> mode) {
            this.line = ByteBuffer.wrap(line);
            this.reopen = reopen;
            this.mode = mode;
        }
    }

    /** Lines are written by whichever caller is writing at the time, several to one system call. */
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();

    /**
     * Appends one whole line and says whether it was written. Concurrent callers do not queue on a lock: whoever finds
     * nobody writing writes every line waiting, in order, with as few system calls as the batch allows, and hands each
     * waiter its outcome. Each line still succeeds or fails on its own, as if written alone.
     */
    Outcome append(byte[] line, boolean reopen, Set<PosixFilePermission> mode) {
        Pending mine = new Pending(line, reopen, mode);
        queue.add(mine);
        long deadline = System.nanoTime() + WAIT_LIMIT_NANOS;
        boolean interrupted = false;
        try {
            while (mine.outcome == null) {
                if (writing.compareAndSet(false, true)) {
                    // an interrupt would close the channel in the middle of other callers' lines: it waits until they are out
                    interrupted |= Thread.interrupted();
                    try {
                        writeWaitingLines();
                    } finally {
                        writing.set(false);
                    }
                    handOff();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 && queue.remove(mine)) {
                    failures.incrementAndGet();
                    handOff();
                    return new Outcome(false, "write", "timed out waiting for other writers of " + path);
                }
                LockSupport.parkNanos(this, left > 0 ? left : WAIT_LIMIT_NANOS);
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (queue.remove(mine)) {
                        handOff();
                        return new Outcome(false, "write", "interrupted");
                    }
                }
            }
            return mine.outcome;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Wakes the first waiting caller when nobody writes: called by a writer that is done and by a caller that left the
     * queue (it may have been the one a writer woke), so that no line waits for its caller's deadline.
     */
    private void handOff() {
        if (!writing.get()) {
            Pending next = queue.peek();
            if (next != null) {
                LockSupport.unpark(next.waiter);
            }
        }
    }

    private static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** At most this many lines in one write: IOV_MAX is 1024 on Linux, and a batch should not hold its callers long. */
    private static final int MAX_BATCH = 256;

    /** Called by the one caller that is writing. Every line taken from the queue is settled, whatever happens. */
    private void writeWaitingLines() {
        List<Pending> batch = new ArrayList<>();
        for (Pending next; batch.size() < MAX_BATCH && (next = queue.poll()) != null; ) {
            batch.add(next);
        }
        try {
            int done = 0;
            while (done < batch.size()) {
                Pending first = batch.get(done);
                // a reopening line is written alone, between its own open and close, as Kong's reopen does
                int end = first.reopen ? done + 1 : done;
                while (!first.reopen && end < batch.size() && !batch.get(end).reopen) {
                    end++;
                }
                done = writeRun(batch, done, end);
            }
        } catch (RuntimeException | Error e) {
            // a file system without POSIX modes, a full heap: the lines fail, and their callers are not left waiting
            closeQuietly();
            for (Pending pending : batch) {
                if (pending.outcome == null) {
                    failures.incrementAndGet();
                    settle(pending, new Outcome(false, "write", String.valueOf(e)));
                }
            }
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    /** Writes lines [from, to) of the batch, settling each one written or failed; returns the index of the first left. */
    private int writeRun(List<Pending> batch, int from, int to) {
        Pending first = batch.get(from);
        if (channel != null && (first.reopen || !stillThere())) {
            closeQuietly();
        }
        if (channel == null) {
            try {
                open(first.mode);
            } catch (IOException e) {
                closeQuietly();
                settle(first, fail("open", e));
                return from + 1;
            }
        }
        ByteBuffer[] buffers = new ByteBuffer[to - from];
        for (int i = from; i < to; i++) {
            buffers[i - from] = batch.get(i).line;
        }
        try {
            while (buffers[buffers.length - 1].hasRemaining()) {
                channel.write(buffers);
            }
        } catch (IOException e) {
            int cut = from;
            while (cut < to && !batch.get(cut).line.hasRemaining()) {
                settle(batch.get(cut++), Outcome.OK);
            }
            if (cut == to) {
                closeQuietly(); // every byte went out before the channel failed (closed by an interrupt, say)
                return to;
            }
            ByteBuffer partial = batch.get(cut).line;
            // A line cut short (disk full) must not stay in the file: the next line would be glued to it. The
            // file's size is asked only now, not before every line: one system call fewer per line.
            if (partial.position() > 0) {
                try {
                    channel.truncate(channel.size() - partial.position());
                } catch (IOException ignored) {
                    // the file may be gone or read-only now; nothing more can be done for it
                }
            }
            closeQuietly();
            settle(batch.get(cut), fail("write", e));
            // the lines not yet begun get a fresh open and their own try, as they would have written alone
            return cut + 1;
        }
        for (int i = from; i < to; i++) {
            settle(batch.get(i), Outcome.OK);
        }
        if (first.reopen) {
            closeQuietly();
        }
        return to;
    }

    private Outcome fail(String stage, IOException e) {
        failures.incrementAndGet();
        return new Outcome(false, stage, reason(e));
    }

    private void settle(Pending pending, Outcome outcome) {
        if (outcome.written()) {
            lines.incrementAndGet();
        }
        pending.outcome = outcome;
        if (pending.waiter != Thread.currentThread()) {
            LockSupport.unpark(pending.waiter);
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
