package io.kongjava.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a suite only where a Docker engine answers; elsewhere the suite is skipped (not failed, not
 * passed) with one line saying why.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresDocker.Condition.class)
@interface RequiresDocker {

    final class Condition implements ExecutionCondition {
        private static volatile Boolean available;

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (context.getTestMethod().isPresent()) {
                return ConditionEvaluationResult.enabled("decided for the class");
            }
            if (available == null) {
                boolean found;
                try {
                    found = DockerClientFactory.instance().isDockerAvailable();
                } catch (RuntimeException | LinkageError e) {
                    found = false;
                }
                available = found;
            }
            String suite = context.getRequiredTestClass().getSimpleName();
            if (available) {
                return ConditionEvaluationResult.enabled("Docker is available");
            }
            String reason = "SKIPPED " + suite + ": no Docker engine answers on this machine, so Kong cannot run in a container; "
                    + "the same scenarios ran on the local gateway (ClaudeCodeHowToTest)";
            System.getLogger(RequiresDocker.class.getName()).log(System.Logger.Level.WARNING, reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
