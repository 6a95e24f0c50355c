package io.kongjava.emulation;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of IP addresses and CIDR ranges, as kong.conf's {@code trusted_ips} gives them ({@code 10.0.0.0/8, ::1};
 * {@code 0.0.0.0/0,::/0} for every client; {@code unix:} for the Unix socket, which the local gateway does not
 * listen on). What {@code kong.ip.is_trusted} answers from, and what decides whether Kong passes a client's
 * X-Forwarded-* headers on.
 */
public final class IpRanges {

    public static final IpRanges NONE = new IpRanges(List.of());

    /** An address and how many of its leading bits a member must share. */
    public record Cidr(byte[] network, int bits) {
        public boolean contains(InetAddress address) {
            byte[] bytes = address.getAddress();
            if (bytes.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < bits; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Cidr> ranges;

    private IpRanges(List<Cidr> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    /** Parses the entries; throws IllegalArgumentException naming the first that is not an address or a range. */
    public static IpRanges parse(List<String> entries) {
        List<Cidr> ranges = new ArrayList<>();
        for (String entry : entries) {
            String text = entry.trim();
            if (text.isEmpty() || text.equals("unix:")) {
                continue;
            }
            ranges.add(cidr(text));
        }
        return new IpRanges(ranges);
    }

    /** {@code 10.0.0.0/8}, {@code fd00::/64}, or one address (all its bits). */
    public static Cidr cidr(String text) {
        int slash = text.indexOf('/');
        InetAddress address = literal(slash < 0 ? text : text.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException("not an IP address or a CIDR range: " + text);
        }
        byte[] network = address.getAddress();
        int bits = network.length * 8;
        if (slash >= 0) {
            String suffix = text.substring(slash + 1);
            if (suffix.isEmpty() || suffix.length() > 3 || !suffix.chars().allMatch(Character::isDigit) || Integer.parseInt(suffix) > bits) {
                throw new IllegalArgumentException("not an IP address or a CIDR range: " + text);
            }
            bits = Integer.parseInt(suffix);
        }
        return new Cidr(network, bits);
    }

    public boolean contains(String ip) {
        if (ranges.isEmpty()) {
            return false; // Kong's default, asked on every proxied request: no parsing then
        }
        InetAddress address = ip == null ? null : literal(ip);
        if (address == null) {
            return false;
        }
        for (Cidr range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** An IP address written as a literal; null when it is not one. Never a name lookup. */
    public static InetAddress literal(String text) {
        try {
            if (text.indexOf(':') >= 0) {
                // with brackets the JDK takes only an IPv6 literal, and never asks DNS
                return InetAddress.getByName(text.startsWith("[") ? text : "[" + text + "]");
            }
            String[] octets = text.split("\\.", -1);
            if (octets.length != 4) {
                return null;
            }
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (octets[i].isEmpty() || octets[i].length() > 3 || !octets[i].chars().allMatch(Character::isDigit)) {
                    return null;
                }
                int octet = Integer.parseInt(octets[i]);
                if (octet > 255) {
                    return null;
                }
                bytes[i] = (byte) octet;
            }
            return InetAddress.getByAddress(bytes);
        } catch (IOException e) {
            return null;
        }
    }
}
