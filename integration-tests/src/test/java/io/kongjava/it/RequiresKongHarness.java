package io.kongjava.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For a suite that starts kong-harness once for all its tests (in {@code @BeforeAll}): where the harness or nginx is
 * absent the suite is skipped with one line saying why ({@link KongHarness#missing()}), which the test report keeps
 * (an assumption failing in {@code @BeforeAll} leaves a report of zero tests and no reason). Under {@code CI=true}
 * the suite runs anyway, so that {@link KongHarness#assumeAvailable()} fails it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresKongHarness.Condition.class)
@interface RequiresKongHarness {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (context.getTestMethod().isPresent()) {
                return ConditionEvaluationResult.enabled("decided for the class");
            }
            Optional<String> missing = KongHarness.missing();
            if (missing.isEmpty()) {
                return ConditionEvaluationResult.enabled("kong-harness and nginx are available");
            }
            if ("true".equals(System.getenv("CI"))) {
                return ConditionEvaluationResult.enabled("CI must provide kong-harness; the suite fails without it");
            }
            String reason = "SKIPPED " + context.getRequiredTestClass().getSimpleName() + ": " + missing.get();
            System.getLogger(RequiresKongHarness.class.getName()).log(System.Logger.Level.WARNING, reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
