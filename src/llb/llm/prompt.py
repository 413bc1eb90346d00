"""The messages that ask an LLM for one candidate Stan program.

Structure (after the Large Language Bayes paper): a system message that sets the task and its rules,
worked examples as earlier turns of the conversation, then the user's problem in three sections:
PROBLEM (their text), DATA (Stan declarations of the data, with comments) and GOAL (the Stan
declaration of the quantity of interest). The reply describes the model in words between
THOUGHTS START / THOUGHTS END, then gives the program between MODEL START / MODEL END.
The wording and the examples are llb's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from llb.problem import Problem

SYSTEM_MESSAGE = """\
You are an expert in Bayesian statistics who writes models in the Stan probabilistic programming \
language. You are given a problem described in plain words, the data as Stan declarations, and the \
quantity the user wants to know (the goal). Write one complete Stan program that is a sensible, \
realistic model of how such data come about, and that defines the goal.

Think about the problem first: what produced the data, what is known before seeing them, which \
quantities are uncertain. Then write the program. Different answers to the same problem are welcome: \
be creative and choose the model you find most plausible, not the most common one.

Rules for the program:
1. Use current Stan syntax: `array[N] real x;` rather than `real x[N];`, and no deprecated functions.
2. Declare the data block exactly as given in DATA: the same names, types and sizes. You may add \
transformed data.
3. Every parameter needs a proper prior, written as a `~` statement on the parameter itself. Priors \
must be normalised densities: when a parameter has bounds, either use a distribution whose support \
matches them (for example `lognormal` or `exponential` for a positive scale, `beta` for a \
probability) or write the truncation out, as in `sigma ~ normal(0, 5) T[0, ];`.
4. Do not use `target +=`; use `~` statements only. Do not put a transformation of a parameter on \
the left of `~`.
5. Define the goal with exactly the name, type and shape given in GOAL, as a parameter, a \
transformed parameter or a generated quantity. A goal that is a future or unobserved outcome is \
drawn in `generated quantities` with the `_rng` functions.
6. Do not use `#include`, and do not use code fences.

Answer in exactly this format:
THOUGHTS START
(a short description of the model in words: what generates the data, what the priors say and why)
THOUGHTS END
MODEL START
(the complete Stan program)
MODEL END
"""


@dataclass(frozen=True)
class WorkedExample:
    problem: str
    data: str
    goal: str
    thoughts: str
    program: str


EXAMPLES: tuple[WorkedExample, ...] = (
    WorkedExample(
        problem="A chain of clinics tested a new triage procedure. Each clinic reports how many patients "
        "it saw and how many were sent to hospital. Clinics are similar but not identical. What is the "
        "hospital referral rate at each clinic?",
        data="int<lower=1> num_clinics; // number of clinics\n"
        "array[num_clinics] int<lower=0> num_patients; // patients seen at each clinic\n"
        "array[num_clinics] int<lower=0> num_referred; // patients sent to hospital",
        goal="array[num_clinics] real<lower=0, upper=1> referral_rate; // probability a patient is referred, per clinic",
        thoughts="Each clinic's referrals are binomial given its own rate. The rates are related: on the "
        "log-odds scale they come from a common normal distribution whose mean and spread are learned, "
        "so clinics with few patients borrow strength from the others. Referral rates of a few percent "
        "to about a third are plausible, so the population mean of the log-odds gets a normal(-2, 1.5) "
        "prior and the spread a half-normal(0, 1) prior. The clinic log-odds are declared with an "
        "offset and multiplier, which samples them non-centred without changing the model.",
        program="""data {
  int<lower=1> num_clinics;
  array[num_clinics] int<lower=0> num_patients;
  array[num_clinics] int<lower=0> num_referred;
}
parameters {
  real mean_log_odds;
  real<lower=0> spread;
  vector<offset=mean_log_odds, multiplier=spread>[num_clinics] log_odds;
}
transformed parameters {
  array[num_clinics] real<lower=0, upper=1> referral_rate = to_array_1d(inv_logit(log_odds));
}
model {
  mean_log_odds ~ normal(-2, 1.5);
  spread ~ normal(0, 1) T[0, ];
  log_odds ~ normal(mean_log_odds, spread);
  num_referred ~ binomial_logit(num_patients, log_odds);
}""",
    ),
    WorkedExample(
        problem="I measured the height of tomato plants after six weeks, along with how much fertiliser "
        "(grams per week) and how many hours of light each got. How much does one extra gram of "
        "fertiliser change the height?",
        data="int<lower=1> num_plants; // number of plants\n"
        "vector[num_plants] fertiliser; // grams per week\n"
        "vector[num_plants] light; // hours of light per day\n"
        "vector[num_plants] height; // height after six weeks (cm)",
        goal="real fertiliser_effect; // change in height (cm) per extra gram of fertiliser",
        thoughts="A linear regression of height on fertiliser and light with normal errors. Tomato "
        "seedlings are tens of centimetres tall after six weeks, so the intercept has a normal(30, 20) "
        "prior. Effects of a few centimetres per gram or per hour are plausible: normal(0, 5) priors. "
        "The residual spread is positive, with a half-normal(0, 10) prior.",
        program="""data {
  int<lower=1> num_plants;
  vector[num_plants] fertiliser;
  vector[num_plants] light;
  vector[num_plants] height;
}
parameters {
  real intercept;
  real fertiliser_effect;
  real light_effect;
  real<lower=0> noise;
}
model {
  intercept ~ normal(30, 20);
  fertiliser_effect ~ normal(0, 5);
  light_effect ~ normal(0, 5);
  noise ~ normal(0, 10) T[0, ];
  height ~ normal(intercept + fertiliser_effect * fertiliser + light_effect * light, noise);
}""",
    ),
    WorkedExample(
        problem="Here are the daily visitor counts of a small museum over the last weeks (in thousands, "
        "rounded). Busy days tend to follow busy days. How many visitors will come tomorrow?",
        data="int<lower=2> num_days; // days observed\n"
        "vector[num_days] visitors; // visitors per day, in thousands",
        goal="real visitors_tomorrow; // visitors on the day after the last observed day, in thousands",
        thoughts="An autoregressive model of order one: each day's count is pulled towards a long-run "
        "level, with a fraction of yesterday's deviation carried over, plus normal noise. The level is "
        "a few thousand visitors (normal(2, 2)); the persistence lies between -1 and 1 and is probably "
        "positive (a uniform(-1, 1) prior matches its bounds); the noise scale is positive "
        "(exponential(1)). Tomorrow's count is drawn from the same process.",
        program="""data {
  int<lower=2> num_days;
  vector[num_days] visitors;
}
parameters {
  real level;
  real<lower=-1, upper=1> persistence;
  real<lower=0> noise;
}
model {
  level ~ normal(2, 2);
  persistence ~ uniform(-1, 1);
  noise ~ exponential(1);
  visitors[2:num_days] ~ normal(level + persistence * (visitors[1:(num_days - 1)] - level), noise);
}
generated quantities {
  real visitors_tomorrow = normal_rng(level + persistence * (visitors[num_days] - level), noise);
}""",
    ),
    WorkedExample(
        problem="A beekeeper counted how many bees returned to each of her hives in one hour, on days "
        "with and without rain. Counts vary a lot more than a simple average would suggest. How much "
        "does rain reduce the number of returning bees?",
        data="int<lower=1> num_counts; // number of one-hour counts\n"
        "array[num_counts] int<lower=0, upper=1> rainy; // 1 if it rained during the count\n"
        "array[num_counts] int<lower=0> bees; // bees returning in the hour",
        goal="real<lower=0> rain_ratio; // expected count on rainy days divided by dry days",
        thoughts="Counts with more spread than a Poisson allows: a negative binomial with a log-linear "
        "mean. Dry-day means of tens to hundreds of bees give the log mean a normal(4, 1.5) prior; the "
        "rain effect on the log scale is normal(0, 1). The shape (inverse overdispersion) is positive "
        "with a gamma(2, 0.1) prior. The ratio asked for is the exponential of the rain effect.",
        program="""data {
  int<lower=1> num_counts;
  array[num_counts] int<lower=0, upper=1> rainy;
  array[num_counts] int<lower=0> bees;
}
parameters {
  real log_dry_mean;
  real rain_effect;
  real<lower=0> shape;
}
transformed parameters {
  real<lower=0> rain_ratio = exp(rain_effect);
}
model {
  log_dry_mean ~ normal(4, 1.5);
  rain_effect ~ normal(0, 1);
  shape ~ gamma(2, 0.1);
  for (n in 1:num_counts) {
    bees[n] ~ neg_binomial_2_log(log_dry_mean + rain_effect * rainy[n], shape);
  }
}""",
    ),
    WorkedExample(
        problem="Students in my class took a practice quiz and then the exam; I have both scores for last "
        "year's students, and only the quiz score for this year's. Predict each new student's exam "
        "result: did they pass (score of at least 50)?",
        data="int<lower=1> num_old; // last year's students\n"
        "vector[num_old] quiz_old; // their quiz scores (0-100)\n"
        "vector[num_old] exam_old; // their exam scores (0-100)\n"
        "int<lower=1> num_new; // this year's students\n"
        "vector[num_new] quiz_new; // their quiz scores (0-100)",
        goal="array[num_new] int<lower=0, upper=1> passed; // 1 if the student scores at least 50 on the exam",
        thoughts="Exam scores follow quiz scores linearly with student-level noise whose size is "
        "unknown; a Student-t error allows for the odd surprising result. The slope is probably near "
        "one (normal(1, 0.5)), the intercept a few points either way (normal(0, 20)), the noise "
        "scale positive (half-normal(0, 15)) and the degrees of freedom above one "
        "(gamma(2, 0.1) truncated to start at 1). For each new student an exam score is drawn and "
        "compared with 50.",
        program="""data {
  int<lower=1> num_old;
  vector[num_old] quiz_old;
  vector[num_old] exam_old;
  int<lower=1> num_new;
  vector[num_new] quiz_new;
}
parameters {
  real intercept;
  real slope;
  real<lower=0> noise;
  real<lower=1> dof;
}
model {
  intercept ~ normal(0, 20);
  slope ~ normal(1, 0.5);
  noise ~ normal(0, 15) T[0, ];
  dof ~ gamma(2, 0.1) T[1, ];
  exam_old ~ student_t(dof, intercept + slope * quiz_old, noise);
}
generated quantities {
  array[num_new] int<lower=0, upper=1> passed;
  for (n in 1:num_new) {
    passed[n] = student_t_rng(dof, intercept + slope * quiz_new[n], noise) >= 50;
  }
}""",
    ),
)


def problem_message(text: str, data_declarations: str, goal: str) -> str:
    """The user's turn: PROBLEM, DATA and GOAL sections."""
    return f"PROBLEM\n{text.strip()}\n\nDATA\n{data_declarations.strip()}\n\nGOAL\n{goal.strip()}"


def example_reply(example: WorkedExample) -> str:
    return f"THOUGHTS START\n{example.thoughts}\nTHOUGHTS END\nMODEL START\n{example.program}\nMODEL END"


def build_messages(problem: Problem) -> list[dict[str, str]]:
    """Chat messages (OpenAI format): system, the worked examples as earlier turns, then the problem."""
    messages = [{"role": "system", "content": SYSTEM_MESSAGE}]
    for example in EXAMPLES:
        messages.append({"role": "user", "content": problem_message(example.problem, example.data, example.goal)})
        messages.append({"role": "assistant", "content": example_reply(example)})
    messages.append({"role": "user", "content": problem_message(problem.text, problem.data_declarations or '', problem.goal)})
    return messages
