// Non-centred random walk for popularity with house effects and pollster-specific noise, using
// an exponential prior on the step size and gamma priors on the noise levels.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real initial;
  vector[num_days - 1] step;
  real<lower=0> step_sd;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  array[num_days] real popularity;
  popularity[1] = initial;
  for (d in 2:num_days) {
    popularity[d] = popularity[d - 1] + step_sd * step[d - 1];
  }
}
model {
  initial ~ normal(45, 10);
  step ~ std_normal();
  step_sd ~ exponential(2);
  house ~ normal(0, 2.5);
  poll_sd ~ gamma(2, 0.5);
  for (n in 1:num_polls) {
    result[n] ~ normal(popularity[day[n]] + house[pollster[n]], poll_sd[pollster[n]]);
  }
}
