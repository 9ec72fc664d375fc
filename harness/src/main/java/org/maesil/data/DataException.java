package org.maesil.data;

import java.io.IOException;

/**
 * A data file or folder that cannot be used: the message is one line naming the file (or
 * folder, or catalog field) and the problem, fit to print as is on the command line.
 */
public class DataException extends IOException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
